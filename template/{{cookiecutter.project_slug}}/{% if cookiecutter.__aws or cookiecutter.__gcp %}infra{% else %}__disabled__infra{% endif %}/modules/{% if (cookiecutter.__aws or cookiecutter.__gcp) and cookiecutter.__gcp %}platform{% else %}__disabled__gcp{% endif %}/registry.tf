# The image registry: tags never move (a deploy names a new tag); Container Scanning
# scans every pushed image.
resource "google_artifact_registry_repository" "images" {
  repository_id = local.name
  project       = var.project_id
  location      = var.region
  format        = "DOCKER"
  kms_key_name  = google_kms_crypto_key.main.id

  docker_config {
    immutable_tags = true
  }

  vulnerability_scanning_config {
    enablement_config = "INHERITED"
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 50
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}
