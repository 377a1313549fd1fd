output "service_url" {
  description = "HTTPS address of the prediction service (map a custom domain to it if needed)."
  value       = google_cloud_run_v2_service.api.uri
}

output "artifacts_bucket" {
  description = "Bucket holding the DVC remote (dvc/) and MLflow artifacts (mlflow/)."
  value       = google_storage_bucket.artifacts.name
}

output "dvc_remote_url" {
  description = "URL for `dvc remote add -d storage <url>`."
  value       = local.dvc_remote
}

output "mlflow_artifacts_destination" {
  description = "Where the MLflow server stores artifacts."
  value       = local.mlflow_artifacts
}

output "mlflow_internal_url" {
  description = "MLflow tracking URI, reachable only from the VPC (the API uses it)."
  value       = local.mlflow_url
}

output "artifact_registry_url" {
  description = "Repository for the service image (<url>/api:<sha>) and the MLflow image (<url>/mlflow:<tag>)."
  value       = local.registry_url
}

output "database_connection_name" {
  description = "Cloud SQL connection name of the MLflow backend store; private IP only."
  value       = google_sql_database_instance.mlflow.connection_name
}

output "ci_service_account_email" {
  description = "Service account GitHub Actions impersonate in this environment."
  value       = google_service_account.ci.email
}

output "workload_identity_provider" {
  description = "Workload identity provider for google-github-actions/auth (workload_identity_provider input)."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "alarm_notification_channel" {
  description = "Notification channel of the alerts (empty when alarm_email is empty)."
  value       = join("", local.channels)
}
