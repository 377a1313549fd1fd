# GitHub Actions authenticate by Workload Identity Federation: no service account keys.
# Only jobs of this repository that run in this environment's GitHub environment may
# impersonate the CI service account, which can push images, use the DVC remote and roll
# the service to a new revision.
resource "google_iam_workload_identity_pool" "github" {
  workload_identity_pool_id = "${local.name}-gh"
  project                   = var.project_id
  display_name              = "GitHub Actions (${var.environment})"
  depends_on                = [google_project_service.apis]
}

resource "google_iam_workload_identity_pool_provider" "github" {
  #checkov:skip=CKV_GCP_125:checkov cannot resolve var.github_repository here; the condition pins the subject to repo:<owner/name>:environment:<env> (the variable's validation enforces owner/name)
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  project                            = var.project_id
  attribute_mapping = {
    "google.subject"        = "assertion.sub"
    "attribute.repository"  = "assertion.repository"
    "attribute.environment" = "assertion.environment"
  }
  # only jobs of this repository running in this GitHub environment get a token
  attribute_condition = "assertion.sub == 'repo:${var.github_repository}:environment:${var.environment}'"

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci" {
  account_id   = "${local.name}-ci"
  project      = var.project_id
  display_name = "GitHub Actions of ${var.github_repository} (${var.environment})"
}

resource "google_service_account_iam_member" "ci_federation" {
  service_account_id = google_service_account.ci.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principal://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/subject/repo:${var.github_repository}:environment:${var.environment}"
}

resource "google_artifact_registry_repository_iam_member" "ci_push" {
  repository = google_artifact_registry_repository.images.name
  project    = var.project_id
  location   = var.region
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.ci.member
}

resource "google_storage_bucket_iam_member" "ci_dvc" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = google_service_account.ci.member
  condition {
    title      = "dvc-prefix"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/dvc/\")"
  }
}

resource "google_cloud_run_v2_service_iam_member" "ci_deploy" {
  name     = google_cloud_run_v2_service.api.name
  project  = var.project_id
  location = var.region
  role     = "roles/run.developer"
  member   = google_service_account.ci.member
}

# deploying a revision that runs as the API's service account needs actAs on it
resource "google_service_account_iam_member" "ci_act_as_api" {
  service_account_id = google_service_account.api.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.ci.member
}
