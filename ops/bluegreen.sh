#!/usr/bin/env bash
# Blue/green for Quorum on Kubernetes (manifests: infra/k8s; runbook:
# ops/runbooks/deploy-bluegreen.md).
#
#   ops/bluegreen.sh status            live colour, candidate, replicas, images, settings file
#   ops/bluegreen.sh stage IMAGE       put IMAGE on the idle colour as the candidate: canary
#                                      settings (reduced risk limits), canary replicas, the
#                                      preview Service pointed at it
#   ops/bluegreen.sh promote           candidate -> live: live settings, full replicas, wait
#                                      for rollout, flip the Service, stop the old workers
#                                      (the old API stays up for a fast rollback), move beat
#   ops/bluegreen.sh rollback          back to the previous colour: flip the Service, stop the
#                                      bad colour, scale the previous one up (< 60 s); before
#                                      a promote: just stop the candidate
#   ops/bluegreen.sh finish            after a good promote: scale the previous colour to 0
#
# Environment: NAMESPACE (default quorum), KUBECTL (default kubectl), ROLLOUT_TIMEOUT
# (promote's wait, default 600s), ROLLBACK_BUDGET_S (default 55: rollback's own deadline).
# State lives in the cluster: the quorum-api Service's selector names the live colour and
# its annotation quorum.io/previous-colour the colour a promote replaced (empty: none).
set -euo pipefail

NAMESPACE=${NAMESPACE:-quorum}
KUBECTL=${KUBECTL:-kubectl}
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-600s}
ROLLBACK_BUDGET_S=${ROLLBACK_BUDGET_S:-55}
SERVICE=quorum-api
PREVIEW=quorum-api-preview
BEAT=quorum-beat
COLOUR_LABEL=quorum.io/colour
PREVIOUS_KEY=quorum.io/previous-colour

log() { printf 'bluegreen: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
k() { "$KUBECTL" --namespace "$NAMESPACE" "$@"; }

other() {
  case "$1" in
    blue) echo green ;;
    green) echo blue ;;
    *) die "not a colour: '$1' (expected blue or green)" ;;
  esac
}

live_colour() {
  local colour
  colour=$(k get service "$SERVICE" -o "jsonpath={.spec.selector.quorum\.io/colour}")
  other "$colour" >/dev/null
  echo "$colour"
}

previous_colour() {
  k get service "$SERVICE" -o "jsonpath={.metadata.annotations.quorum\.io/previous-colour}"
}

# "name replicas canary-replicas" for every Deployment of a colour.
deployments() {
  k get deployments -l "$COLOUR_LABEL=$1" -o \
    'jsonpath={range .items[*]}{.metadata.name} {.metadata.annotations.quorum\.io/replicas} {.metadata.annotations.quorum\.io/canary-replicas}{"\n"}{end}'
}

# scale COLOUR live|canary|zero [workers-only]
scale() {
  local colour=$1 size=$2 only=${3:-all} name live canary n
  local found=0
  while read -r name live canary; do
    [ -n "$name" ] || continue
    found=1
    if [ "$only" = workers ] && [[ "$name" != quorum-worker-* ]]; then
      continue
    fi
    case "$size" in
      live) n=$live ;;
      canary) n=$canary ;;
      zero) n=0 ;;
    esac
    [[ "$n" =~ ^[0-9]+$ ]] || die "deployment $name: replica annotation is '$n', expected a number"
    k scale "deployment/$name" --replicas="$n" >/dev/null
    log "scaled $name to $n"
  done < <(deployments "$colour")
  [ "$found" = 1 ] || die "no deployments with $COLOUR_LABEL=$colour in namespace $NAMESPACE"
}

set_settings() {  # set_settings COLOUR live|canary
  k set env deployment -l "$COLOUR_LABEL=$1" "QUORUM_CONFIG=/etc/quorum/$2.yaml" >/dev/null
  log "$1 reads /etc/quorum/$2.yaml"
}

point() {  # point SERVICE COLOUR [previous]
  local patch
  if [ $# -ge 3 ]; then
    patch=$(printf '{"metadata":{"annotations":{"%s":"%s"}},"spec":{"selector":{"%s":"%s"}}}' \
      "$PREVIOUS_KEY" "$3" "$COLOUR_LABEL" "$2")
  else
    patch=$(printf '{"spec":{"selector":{"%s":"%s"}}}' "$COLOUR_LABEL" "$2")
  fi
  k patch service "$1" --type=merge -p "$patch" >/dev/null
  log "service $1 -> $2"
}

image_of() {
  k get deployment "quorum-api-$1" -o 'jsonpath={.spec.template.spec.containers[0].image}'
}

move_beat() {  # move_beat COLOUR: beat runs the image of that colour
  local image
  image=$(image_of "$1")
  [ -n "$image" ] || die "deployment quorum-api-$1 has no image"
  k set image "deployment/$BEAT" "quorum=$image" >/dev/null
  log "beat runs $image"
}

cmd_status() {
  local live previous
  live=$(live_colour)
  previous=$(previous_colour)
  echo "live: $live"
  echo "candidate: $(other "$live")"
  echo "previous: ${previous:-none}"
  k get deployments -l app.kubernetes.io/part-of=quorum -L "$COLOUR_LABEL" \
    -o 'custom-columns=NAME:.metadata.name,COLOUR:.metadata.labels.quorum\.io/colour,READY:.status.readyReplicas,WANT:.spec.replicas,IMAGE:.spec.template.spec.containers[0].image,CONFIG:.spec.template.spec.containers[0].env[?(@.name=="QUORUM_CONFIG")].value'
}

cmd_stage() {
  local image=${1:?usage: bluegreen.sh stage IMAGE}
  local live candidate
  live=$(live_colour)
  candidate=$(other "$live")
  set_settings "$candidate" canary
  k set image deployment -l "$COLOUR_LABEL=$candidate" "quorum=$image" >/dev/null
  log "$candidate runs $image"
  scale "$candidate" canary
  point "$PREVIEW" "$candidate"
  point "$SERVICE" "$live" ""
  log "staged $image on $candidate (canary limits); live is still $live"
}

cmd_promote() {
  local live candidate name
  live=$(live_colour)
  candidate=$(other "$live")
  set_settings "$candidate" live
  scale "$candidate" live
  while read -r name _; do
    [ -n "$name" ] || continue
    k rollout status "deployment/$name" --timeout="$ROLLOUT_TIMEOUT" >/dev/null \
      || die "deployment/$name did not become ready; traffic is still on $live (run rollback to stop $candidate)"
  done < <(deployments "$candidate")
  point "$SERVICE" "$candidate" "$live"
  point "$PREVIEW" "$live"
  scale "$live" zero workers
  move_beat "$candidate"
  log "promoted $candidate; $live's API stays up for rollback (finish scales it to 0)"
}

cmd_rollback() {
  local started=$SECONDS live previous
  live=$(live_colour)
  previous=$(previous_colour)
  if [ -z "$previous" ]; then
    local candidate
    candidate=$(other "$live")
    scale "$candidate" zero
    point "$PREVIEW" "$candidate"
    log "no promote to undo: stopped candidate $candidate; $live stays live"
  else
    [ "$previous" = "$(other "$live")" ] || die "previous colour '$previous' is not the other colour of $live"
    point "$SERVICE" "$previous" ""
    scale "$live" zero
    scale "$previous" live
    point "$PREVIEW" "$live"
    move_beat "$previous"
    log "rolled back to $previous; $live stopped"
  fi
  local elapsed=$((SECONDS - started))
  log "rollback took ${elapsed}s"
  [ "$elapsed" -le "$ROLLBACK_BUDGET_S" ] || die "rollback took ${elapsed}s, over the ${ROLLBACK_BUDGET_S}s budget"
}

cmd_finish() {
  local live previous
  live=$(live_colour)
  previous=$(previous_colour)
  [ -n "$previous" ] || die "nothing to finish: no promote recorded"
  scale "$previous" zero
  point "$SERVICE" "$live" ""
  log "finished: $previous scaled to 0; rollback now means stage + promote"
}

main() {
  local command=${1:-}
  [ $# -gt 0 ] && shift
  case "$command" in
    status) cmd_status ;;
    stage) cmd_stage "$@" ;;
    promote) cmd_promote ;;
    rollback) cmd_rollback ;;
    finish) cmd_finish ;;
    *) die "usage: bluegreen.sh status|stage IMAGE|promote|rollback|finish" ;;
  esac
}

main "$@"
