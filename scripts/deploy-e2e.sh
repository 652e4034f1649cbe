#!/usr/bin/env bash
# Opt-in end-to-end run in a real AWS account: deploys the example app (bin/app.ts) with everything deletable,
# lets the custom resource apply and verify the role model, requests a firefighter password through the CLI,
# connects with it, revokes it, and destroys the stack (also on failure).
#
# Skipped (exit 0) when no AWS credentials are available. It costs money while it runs: Aurora Serverless v2
# (0.5 ACU minimum), two interface endpoints, Lambda. Takes about 20-30 minutes, mostly cluster create/delete.
#
#   scripts/deploy-e2e.sh
#
# Environment:
#   AWS_REGION / AWS_PROFILE       the usual; the stack deploys to the caller's account and region
#   E2E_DB_TUNNEL_PORT             optional: a local port forwarded to the cluster writer endpoint on 5432
#                                  (e.g. SSM port forwarding through an instance in the VPC). Without it the
#                                  connect step is skipped: the cluster is in isolated subnets by design.
#   E2E_KEEP=1                     keep the stack for inspection (destroy it yourself with npx cdk destroy)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! caller_arn=$(aws sts get-caller-identity --query Arn --output text 2>/dev/null); then
  echo "deploy-e2e: skipped, no AWS credentials (configure a profile or export AWS_* and run again)"
  exit 0
fi
echo "deploy-e2e: deploying as ${caller_arn}"

stack=FirefighterExample
context=(-c e2e=true -c "requesters-ro=${caller_arn}" -c "requesters-rw=${caller_arn}")

cleanup() {
  if [[ "${E2E_KEEP:-}" == "1" ]]; then
    echo "deploy-e2e: E2E_KEEP=1, leaving ${stack} deployed"
  else
    echo "deploy-e2e: destroying ${stack}"
    npx cdk destroy --force "${context[@]}" "${stack}"
  fi
}
trap cleanup EXIT

npm run build
# The role model is applied and verified during the deployment: a drifted or failed apply fails it here.
npx cdk deploy --require-approval never "${context[@]}" --outputs-file cdk.out/e2e-outputs.json "${stack}"

output() { node -e "const o=require('./cdk.out/e2e-outputs.json')['${stack}']; process.stdout.write(String(o['$1'] ?? ''))"; }
endpoint=$(output ClusterEndpoint)
echo "deploy-e2e: cluster ${endpoint}; the CLI finds the broker from SSM /cdk-aurora-firefighter/my-pg/broker"

incident="E2E-$(date +%s)"
# The CLI of the broker (bin/firefighter.ts): request prints the role, the password and its expiry as JSON.
request=$(npx tsx bin/firefighter.ts request ro --cluster my-pg \
  --database my-pg-db --incident "${incident}" --reason "deploy-e2e smoke test" --json)
role=$(node -e "process.stdout.write(JSON.parse(process.argv[1]).role)" "${request}")
echo "deploy-e2e: got a password for ${role} (not printed)"

if [[ -n "${E2E_DB_TUNNEL_PORT:-}" ]]; then
  PGPASSWORD=$(node -e "process.stdout.write(JSON.parse(process.argv[1]).password)" "${request}") \
    psql "host=localhost port=${E2E_DB_TUNNEL_PORT} dbname=my-pg-db user=${role} sslmode=require" \
    -v ON_ERROR_STOP=1 -c 'SELECT current_user, now()'
  echo "deploy-e2e: connected as ${role}"
else
  echo "deploy-e2e: connect step skipped (set E2E_DB_TUNNEL_PORT to a tunnel to ${endpoint}:5432)"
fi

npx tsx bin/firefighter.ts revoke ro --cluster my-pg \
  --database my-pg-db --incident "${incident}" --reason "deploy-e2e done"
echo "deploy-e2e: revoked; destroying"
