"""Migration scripts that copier.yml's `_migrations` run during `copier update`."""
