# Serving on Cloud Run: the API image from Artifact Registry, autoscaled on concurrent
# requests, with startup and liveness probes on /health; the MLflow server it loads models
# from runs beside it, reachable only from inside the VPC.
resource "google_service_account" "api" {
  account_id   = "${local.name}-api"
  project      = var.project_id
  display_name = "${local.name} prediction service"
}

resource "google_service_account" "mlflow" {
  account_id   = "${local.name}-mlflow"
  project      = var.project_id
  display_name = "${local.name} MLflow server"
}

# MLflow reads and writes artifacts under mlflow/ only.
resource "google_storage_bucket_iam_member" "mlflow_artifacts" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = google_service_account.mlflow.member
  condition {
    title      = "mlflow-prefix"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/mlflow/\")"
  }
}

resource "google_secret_manager_secret_iam_member" "mlflow_db" {
  secret_id = google_secret_manager_secret.mlflow_db.id
  project   = var.project_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.mlflow.member
}

locals {
  mlflow_service = "${local.name}-mlflow"
  # Cloud Run's deterministic address, known before the service exists
  mlflow_host = "${local.mlflow_service}-${data.google_project.current.number}.${var.region}.run.app"
  mlflow_url  = "https://${local.mlflow_host}"
}

resource "google_cloud_run_v2_service" "mlflow" {
  name                = local.mlflow_service
  project             = var.project_id
  location            = var.region
  deletion_protection = var.deletion_protection
  # only traffic from the VPC reaches it; MLflow clients send no Google identity token
  ingress              = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  invoker_iam_disabled = true

  template {
    service_account = google_service_account.mlflow.email

    scaling {
      min_instance_count = 1
      max_instance_count = 1
    }

    vpc_access {
      network_interfaces {
        network    = var.network_id
        subnetwork = var.subnetwork_id
      }
      egress = "PRIVATE_RANGES_ONLY"
    }

    containers {
      image = "${local.registry_url}/mlflow:${var.mlflow_image_tag}"

      ports {
        container_port = 5000
      }

      env {
        # no password in the URI: libpq reads PGPASSWORD (from the secret below)
        name  = "MLFLOW_BACKEND_STORE_URI"
        value = "postgresql+psycopg2://${google_sql_user.mlflow.name}@${google_sql_database_instance.mlflow.private_ip_address}:5432/${google_sql_database.mlflow.name}?sslmode=require"
      }
      env {
        name  = "MLFLOW_ARTIFACTS_DESTINATION"
        value = local.mlflow_artifacts
      }
      env {
        name  = "MLFLOW_SERVER_ALLOWED_HOSTS"
        value = "${local.mlflow_host},${local.mlflow_host}:*,localhost:*,127.0.0.1:*"
      }
      env {
        name = "PGPASSWORD"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.mlflow_db.secret_id
            version = "latest"
          }
        }
      }

      startup_probe {
        http_get {
          path = "/health"
        }
        period_seconds    = 5
        timeout_seconds   = 4
        failure_threshold = 24
      }

      liveness_probe {
        http_get {
          path = "/health"
        }
        period_seconds  = 30
        timeout_seconds = 4
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.mlflow_db, google_secret_manager_secret_version.mlflow_db]
}

resource "google_cloud_run_v2_service" "api" {
  name                = "${local.name}-api"
  project             = var.project_id
  location            = var.region
  deletion_protection = var.deletion_protection
  ingress             = "INGRESS_TRAFFIC_ALL"

  template {
    service_account                  = google_service_account.api.email
    max_instance_request_concurrency = 80

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = max(var.max_instances, var.min_instances)
    }

    # all egress through the VPC: Cloud Run counts it as internal traffic to MLflow
    vpc_access {
      network_interfaces {
        network    = var.network_id
        subnetwork = var.subnetwork_id
      }
      egress = "ALL_TRAFFIC"
    }

    containers {
      image = "${local.registry_url}/api:${var.image_tag}"

      ports {
        container_port = 8000
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
      }

      env {
        name  = "MODEL_URI"
        value = "models:/${var.model_name}@champion"
      }
      env {
        name  = "MLFLOW_TRACKING_URI"
        value = local.mlflow_url
      }

      startup_probe {
        http_get {
          path = "/health"
        }
        period_seconds    = 5
        timeout_seconds   = 4
        failure_threshold = 24
      }

      liveness_probe {
        http_get {
          path = "/health"
        }
        period_seconds  = 30
        timeout_seconds = 4
      }
    }
  }

  depends_on = [google_cloud_run_v2_service.mlflow]
}

# The prediction API is public, like the AWS load balancer; for a private API remove this
# and grant roles/run.invoker to the callers instead.
resource "google_cloud_run_v2_service_iam_member" "api_public" {
  #checkov:skip=CKV_GCP_102:the prediction API is meant to be called from the internet (see the comment above)
  name     = google_cloud_run_v2_service.api.name
  project  = var.project_id
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}
