# The platform of one environment: storage, registry, database, serving, CI identity, alerts.
data "google_project" "current" {
  project_id = var.project_id
}

locals {
  name             = "${var.name}-${var.environment}"
  mlflow_artifacts = "gs://${google_storage_bucket.artifacts.name}/mlflow"
  dvc_remote       = "gs://${google_storage_bucket.artifacts.name}/dvc"
  registry_url     = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
  services = toset([
    "artifactregistry.googleapis.com",
    "cloudkms.googleapis.com",
    "containerscanning.googleapis.com",
    "iamcredentials.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "sqladmin.googleapis.com",
    "sts.googleapis.com",
  ])
}

resource "google_project_service" "apis" {
  for_each           = local.services
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# One customer-managed key encrypts the buckets and the image repository.
resource "google_kms_key_ring" "main" {
  name       = local.name
  location   = var.region
  depends_on = [google_project_service.apis]
}

resource "google_kms_crypto_key" "main" {
  name            = "data"
  key_ring        = google_kms_key_ring.main.id
  rotation_period = "7776000s" # 90 days

  lifecycle {
    prevent_destroy = true
  }
}

data "google_storage_project_service_account" "gcs" {
  project = var.project_id
}

# The Google service agents that encrypt on our behalf.
resource "google_kms_crypto_key_iam_member" "agents" {
  for_each = toset([
    "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}",
    "serviceAccount:service-${data.google_project.current.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com",
  ])
  crypto_key_id = google_kms_crypto_key.main.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value
}
