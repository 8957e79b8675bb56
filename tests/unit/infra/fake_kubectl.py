"""A fake ``kubectl`` for ops/bluegreen.sh: records every call, keeps state in a JSON file.

It understands exactly the calls the script makes (get/scale/set env/set image/patch/
rollout status) against a tiny model of the cluster: two Services and the Deployments of
both colours plus beat. ``FAKE_KUBECTL_STATE`` names the state file, ``FAKE_KUBECTL_LOG``
the JSON-lines call log; ``FAKE_KUBECTL_FAIL_ROLLOUT`` (a deployment name) makes its
``rollout status`` fail; ``FAKE_KUBECTL_DELAY`` (seconds) slows every call down.
Anything else exits 64 so an unexpected call fails the test.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

State = dict[str, Any]


def initial_state(live: str = "blue", image: str = "quorum:1") -> State:
    """Blue live at full size with the live settings, green idle with the canary ones."""
    sizes = {"api": (3, 1), "worker-scan": (2, 1), "worker-analyze": (2, 1)}
    sizes |= {"worker-execute": (2, 1), "worker-monitor": (1, 1)}
    deployments: dict[str, Any] = {}
    for colour in ("blue", "green"):
        for role, (full, canary) in sizes.items():
            deployments[f"quorum-{role}-{colour}"] = {
                "colour": colour,
                "replicas": full if colour == live else 0,
                "annotations": {
                    "quorum.io/replicas": str(full),
                    "quorum.io/canary-replicas": str(canary),
                },
                "image": image,
                "env": {
                    "QUORUM_CONFIG": f"/etc/quorum/{'live' if colour == live else 'canary'}.yaml"
                },
            }
    deployments["quorum-beat"] = {
        "colour": None,
        "replicas": 1,
        "annotations": {},
        "image": image,
        "env": {},
    }
    other = "green" if live == "blue" else "blue"
    return {
        "services": {
            "quorum-api": {
                "selector": {"quorum.io/colour": live},
                "annotations": {"quorum.io/previous-colour": ""},
            },
            "quorum-api-preview": {"selector": {"quorum.io/colour": other}, "annotations": {}},
        },
        "deployments": deployments,
    }


def _merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        else:
            into[key] = value


def _selected(state: State, args: list[str]) -> list[str]:
    label = args[args.index("-l") + 1]
    key, _, value = label.partition("=")
    if key == "quorum.io/colour":
        return [n for n, d in state["deployments"].items() if d["colour"] == value]
    if key == "app.kubernetes.io/part-of":
        return list(state["deployments"])
    raise SystemExit(f"fake kubectl: unknown label {label}")


def _get(state: State, args: list[str]) -> str:
    kind, rest = args[0], args[1:]
    output = rest[rest.index("-o") + 1]
    if kind == "service":
        service = state["services"][rest[0]]
        if "previous-colour" in output:
            return str(service["annotations"].get("quorum.io/previous-colour", ""))
        if "selector" in output:
            return str(service["selector"]["quorum.io/colour"])
    if kind == "deployment" and "image" in output:
        return str(state["deployments"][rest[0]]["image"])
    if kind == "deployments" and output.startswith("jsonpath"):
        rows = []
        for name in _selected(state, rest):
            notes = state["deployments"][name]["annotations"]
            rows.append(
                f"{name} {notes['quorum.io/replicas']} {notes['quorum.io/canary-replicas']}\n"
            )
        return "".join(rows)
    if kind == "deployments" and output.startswith("custom-columns"):
        rows = ["NAME COLOUR WANT IMAGE CONFIG\n"]
        for name in _selected(state, rest):
            d = state["deployments"][name]
            config = d["env"].get("QUORUM_CONFIG", "<none>")
            rows.append(f"{name} {d['colour']} {d['replicas']} {d['image']} {config}\n")
        return "".join(rows)
    raise SystemExit(64)


def run(state: State, args: list[str]) -> tuple[int, str]:
    verb = args[0]
    if verb == "get":
        return 0, _get(state, args[1:])
    if verb == "scale":
        name = args[1].removeprefix("deployment/")
        state["deployments"][name]["replicas"] = int(args[2].removeprefix("--replicas="))
        return 0, ""
    if verb == "set" and args[1] == "env":
        key, _, value = args[-1].partition("=")
        for name in _selected(state, args):
            state["deployments"][name]["env"][key] = value
        return 0, ""
    if verb == "set" and args[1] == "image":
        names = _selected(state, args) if "-l" in args else [args[2].removeprefix("deployment/")]
        image = args[-1].partition("=")[2]
        for name in names:
            state["deployments"][name]["image"] = image
        return 0, ""
    if verb == "patch" and args[1] == "service":
        patch = json.loads(args[args.index("-p") + 1])
        service = state["services"][args[2]]
        _merge(service, {"annotations": patch.get("metadata", {}).get("annotations", {})})
        _merge(service, {"selector": patch.get("spec", {}).get("selector", {})})
        return 0, ""
    if verb == "rollout" and args[1] == "status":
        name = args[2].removeprefix("deployment/")
        failing = os.environ.get("FAKE_KUBECTL_FAIL_ROLLOUT")
        return (1, "") if name == failing else (0, "")
    return 64, ""


def main(argv: list[str]) -> int:
    state_path = Path(os.environ["FAKE_KUBECTL_STATE"])
    with Path(os.environ["FAKE_KUBECTL_LOG"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    time.sleep(float(os.environ.get("FAKE_KUBECTL_DELAY", "0")))
    args = list(argv)
    if args[:1] == ["--namespace"]:
        args = args[2:]
    state = json.loads(state_path.read_text(encoding="utf-8"))
    code, out = run(state, args)
    state_path.write_text(json.dumps(state), encoding="utf-8")
    sys.stdout.write(out)
    if code == 64:
        sys.stderr.write(f"fake kubectl: unexpected call {argv}\n")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
