output "service_url" {
  description = "HTTPS address of the prediction service (point a DNS name at load_balancer_dns_name for a valid certificate)."
  value       = "https://${aws_lb.api.dns_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer, for a CNAME or alias record."
  value       = aws_lb.api.dns_name
}

output "artifacts_bucket" {
  description = "Bucket holding the DVC remote (dvc/) and MLflow artifacts (mlflow/)."
  value       = aws_s3_bucket.artifacts.bucket
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
  description = "MLflow tracking URI inside the VPC (the API uses it; reach it from outside through a VPN or bastion)."
  value       = local.mlflow_url
}

output "ecr_repository_url" {
  description = "Registry repository for the service image (tag <sha>) and the MLflow image (tag mlflow-<version>)."
  value       = aws_ecr_repository.service.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster running the service and the MLflow server."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_name" {
  description = "ECS service of the prediction API."
  value       = aws_ecs_service.api.name
}

output "database_endpoint" {
  description = "PostgreSQL endpoint (host:port) of the MLflow backend store; private."
  value       = aws_db_instance.mlflow.endpoint
}

output "database_secret_arn" {
  description = "Secrets Manager secret holding the database credentials (managed and rotated by RDS)."
  value       = aws_db_instance.mlflow.master_user_secret[0].secret_arn
}

output "ci_role_arn" {
  description = "Role GitHub Actions assume by OIDC in this environment (set it as the environment variable AWS_CI_ROLE_ARN)."
  value       = aws_iam_role.ci.arn
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms publish to; subscribe on-call tools here."
  value       = aws_sns_topic.alarms.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the buckets, registry, database, logs and alarm topic."
  value       = aws_kms_key.main.arn
}
