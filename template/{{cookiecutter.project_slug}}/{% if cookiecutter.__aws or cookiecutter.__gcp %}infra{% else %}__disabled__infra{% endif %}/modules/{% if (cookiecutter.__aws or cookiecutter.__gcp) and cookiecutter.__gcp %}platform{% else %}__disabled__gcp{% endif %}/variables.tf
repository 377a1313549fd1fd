variable "name" {
  description = "Short project name, the prefix of every resource name."
  type        = string

  validation {
    # workload identity pool ids stop at 32 characters: name + "-production-gh" must fit.
    condition     = can(regex("^[a-z][a-z0-9-]{0,14}[a-z0-9]$", var.name))
    error_message = "name must be 2-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment: staging or production."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "project_id" {
  description = "Google Cloud project of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "region" {
  description = "Region of every regional resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "model_name" {
  description = "Registered MLflow model the service loads (models:/<model_name>@champion)."
  type        = string

  validation {
    condition     = length(var.model_name) > 0
    error_message = "model_name must not be empty."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may impersonate the CI service account."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name."
  }
}

variable "network_id" {
  description = "VPC network (projects/<p>/global/networks/<n>) with private services access for Cloud SQL."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/global/networks/[^/]+$", var.network_id))
    error_message = "network_id must look like projects/<project>/global/networks/<network>."
  }
}

variable "subnetwork_id" {
  description = "Subnetwork (with Private Google Access) the services send traffic through."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/regions/[^/]+/subnetworks/[^/]+$", var.subnetwork_id))
    error_message = "subnetwork_id must look like projects/<project>/regions/<region>/subnetworks/<subnetwork>."
  }
}

variable "image_tag" {
  description = "Tag of the prediction service image in Artifact Registry (tags are immutable: deploy by changing it)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid Docker tag other than latest."
  }
}

variable "mlflow_image_tag" {
  description = "Tag of the MLflow server image (built from docker/mlflow) in the same repository."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.mlflow_image_tag)) && var.mlflow_image_tag != "latest"
    error_message = "mlflow_image_tag must be a valid Docker tag other than latest."
  }
}

variable "cpu" {
  description = "CPUs of one service instance."
  type        = string
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.cpu)
    error_message = "cpu must be 1, 2, 4, 6 or 8."
  }
}

variable "memory" {
  description = "Memory of one service instance (Cloud Run notation, e.g. 1Gi)."
  type        = string
  default     = "1Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must look like 512Mi or 2Gi."
  }
}

variable "min_instances" {
  description = "Fewest service instances kept warm."
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 0
    error_message = "min_instances must not be negative."
  }
}

variable "max_instances" {
  description = "Most service instances the autoscaler may start."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 100
    error_message = "max_instances must be between 1 and 100 (and not below min_instances)."
  }
}

variable "db_tier" {
  description = "Cloud SQL machine tier of the MLflow backend store."
  type        = string
  default     = "db-custom-1-3840"

  validation {
    condition     = startswith(var.db_tier, "db-")
    error_message = "db_tier must be a Cloud SQL tier (db-...)."
  }
}

variable "db_high_availability" {
  description = "Regional (high-availability) database with a standby in a second zone."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the database and the service from deletion (keep true in production)."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "Address that receives alert notifications (empty: add channels later)."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be empty or an email address."
  }
}

variable "p99_latency_threshold_ms" {
  description = "p99 request latency (milliseconds) above which the latency alert fires."
  type        = number
  default     = 500

  validation {
    condition     = var.p99_latency_threshold_ms > 0
    error_message = "p99_latency_threshold_ms must be positive."
  }
}
