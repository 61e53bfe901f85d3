# pgrotate quickstart: a connection to a PostgreSQL database and a dual-user rotation of two login roles,
# registered with a pgrotate runner. See README.md next to this file.
terraform {
  required_providers {
    pgrotate = {
      source = "pgrotate/pgrotate"
    }
  }
}

# runner_url and token default to the environment variables PGROTATE_URL and PGROTATE_TOKEN.
provider "pgrotate" {}

variable "db_host" {
  type    = string
  default = "127.0.0.1"
}
variable "db_port" {
  type    = number
  default = 5432
}
variable "db_name" {
  type    = string
  default = "app"
}
variable "rotation_admin" {
  description = "The connection role: CREATEROLE, and on PostgreSQL 16+ ADMIN OPTION on both users."
  type        = string
  default     = "rotation_admin"
}
variable "rotation_admin_password" {
  type      = string
  sensitive = true
}
variable "username1" {
  type    = string
  default = "app_user_1"
}
variable "username2" {
  type    = string
  default = "app_user_2"
}
variable "rotation_interval" {
  description = "Days between rotations."
  type        = number
  default     = 30
}
variable "revoke_on_delete" {
  description = "On destroy, set unknown passwords on both users."
  type        = bool
  default     = false
}

resource "pgrotate_postgres_connection" "db" {
  name     = "app-db"
  host     = var.db_host
  port     = var.db_port
  database = var.db_name
  username = var.rotation_admin
  password = var.rotation_admin_password
}

resource "pgrotate_postgres_credentials_rotation" "app" {
  name              = "app-db-credentials"
  connection_id     = pgrotate_postgres_connection.db.id
  project_id        = "my-project"
  environment       = "dev"
  secret_path       = "/"
  rotation_interval = var.rotation_interval
  rotate_at_utc     = { hours = 3, minutes = 0 }
  parameters = {
    username1 = var.username1
    username2 = var.username2
  }
  secrets_mapping = {
    username = "POSTGRES_DB_USERNAME"
    password = "POSTGRES_DB_PASSWORD"
  }
  revoke_on_delete = var.revoke_on_delete
}

# The credentials applications should use right now.
data "pgrotate_postgres_credentials" "app" {
  rotation_id = pgrotate_postgres_credentials_rotation.app.id
}

output "rotation_id" {
  value = pgrotate_postgres_credentials_rotation.app.id
}
output "active_username" {
  value = data.pgrotate_postgres_credentials.app.username
}
output "active_password" {
  value     = data.pgrotate_postgres_credentials.app.password
  sensitive = true
}
output "next_rotation_at" {
  value = pgrotate_postgres_credentials_rotation.app.next_rotation_at
}
