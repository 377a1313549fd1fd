# Alert policies on the service and its database (Cloud Monitoring).
resource "google_monitoring_notification_channel" "email" {
  count        = var.alarm_email == "" ? 0 : 1
  project      = var.project_id
  display_name = "${local.name} alarms"
  type         = "email"
  labels = {
    email_address = var.alarm_email
  }
}

locals {
  channels = google_monitoring_notification_channel.email[*].id
  api      = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${google_cloud_run_v2_service.api.name}\""
  mlflow   = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${google_cloud_run_v2_service.mlflow.name}\""
  database = "resource.type = \"cloudsql_database\" AND resource.labels.database_id = \"${var.project_id}:${google_sql_database_instance.mlflow.name}\""
  alerts = {
    api-5xx = {
      description = "The prediction service answers with server errors"
      filter      = "${local.api} AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      aligner     = "ALIGN_SUM"
      comparison  = "COMPARISON_GT"
      threshold   = 5
    }
    api-latency-p99 = {
      description = "p99 request latency above ${var.p99_latency_threshold_ms} ms"
      filter      = "${local.api} AND metric.type = \"run.googleapis.com/request_latencies\""
      aligner     = "ALIGN_PERCENTILE_99"
      comparison  = "COMPARISON_GT"
      threshold   = var.p99_latency_threshold_ms
    }
    mlflow-5xx = {
      description = "The MLflow server fails requests: new instances cannot load the model"
      filter      = "${local.mlflow} AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      aligner     = "ALIGN_SUM"
      comparison  = "COMPARISON_GT"
      threshold   = 5
    }
    db-cpu-high = {
      description = "The MLflow database is CPU bound"
      filter      = "${local.database} AND metric.type = \"cloudsql.googleapis.com/database/cpu/utilization\""
      aligner     = "ALIGN_MEAN"
      comparison  = "COMPARISON_GT"
      threshold   = 0.8
    }
    db-disk-full = {
      description = "The MLflow database disk is over 85% full"
      filter      = "${local.database} AND metric.type = \"cloudsql.googleapis.com/database/disk/utilization\""
      aligner     = "ALIGN_MAX"
      comparison  = "COMPARISON_GT"
      threshold   = 0.85
    }
  }
}

resource "google_monitoring_alert_policy" "service" {
  for_each              = local.alerts
  project               = var.project_id
  display_name          = "${local.name} ${each.key}"
  combiner              = "OR"
  notification_channels = local.channels

  documentation {
    content = each.value.description
  }

  conditions {
    display_name = each.value.description
    condition_threshold {
      filter          = each.value.filter
      comparison      = each.value.comparison
      threshold_value = each.value.threshold
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = each.value.aligner
      }
    }
  }

  depends_on = [google_project_service.apis]
}
