# One bucket for the DVC remote (dvc/) and MLflow artifacts (mlflow/): CMEK-encrypted,
# versioned, never public (public access prevention), uniform IAM; Google's storage API
# only serves authenticated requests over TLS. A second bucket keeps its access logs.
resource "google_storage_bucket" "artifacts" {
  name                        = "${local.name}-artifacts-${data.google_project.current.number}"
  project                     = var.project_id
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.main.id
  }

  logging {
    log_bucket        = google_storage_bucket.logs.name
    log_object_prefix = "artifacts"
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 90
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}

resource "google_storage_bucket" "logs" {
  #checkov:skip=CKV_GCP_62:this is the access-log bucket; logging it into itself would loop
  name                        = "${local.name}-logs-${data.google_project.current.number}"
  project                     = var.project_id
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.main.id
  }

  lifecycle_rule {
    condition {
      age = 365
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}

# Cloud Storage writes usage logs as this group.
resource "google_storage_bucket_iam_member" "logs_writer" {
  bucket = google_storage_bucket.logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}
