#!/usr/bin/env bash
# Packs samples/SwinFace.Cli as the .NET tool SwinFace.Cli, installs it from a local feed into a
# temporary tool path, and uses it as a newcomer would, with a PATH that holds no Python:
#   swinface convert --checkpoint CKPT --out MODEL   (must equal the Python export byte for byte)
#   swinface analyze --model MODEL ...               (must match PyTorch on the golden faces)
#   swinface convert --precision int8 ...            (offline: the fidelity photos come with the tool)
# Usage: tests/tool/check-tool.sh FULL_DIR   (the output of models/make-full-parity.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
full=$(cd "${1:?usage: check-tool.sh FULL_DIR}" && pwd)
work=$(mktemp -d)
version="$(dotnet msbuild "$root/samples/SwinFace.Cli/SwinFace.Cli.csproj" -getProperty:VersionPrefix)-check.$(date +%s)"
trap 'rm -rf "$work" "${NUGET_PACKAGES:-$HOME/.nuget/packages}/swinface.cli/$version"' EXIT
dotnet pack "$root/samples/SwinFace.Cli" -c Release -o "$work/feed" -p:Version="$version" --nologo -v quiet
dotnet tool install SwinFace.Cli --version "$version" --tool-path "$work/tools" --add-source "$work/feed" >/dev/null

# A PATH with the tool and the .NET host only.
mkdir -p "$work/bin"
ln -s "$(readlink -f "$(command -v dotnet)")" "$work/bin/dotnet"
clean_path="$work/tools:$work/bin"
if PATH="$clean_path" command -v python3 >/dev/null || PATH="$clean_path" command -v python >/dev/null; then
  echo "error: the clean PATH still finds a Python" >&2
  exit 1
fi
export DOTNET_ROOT="$(dirname "$(readlink -f "$(command -v dotnet)")")"
run() { env -i HOME="$HOME" DOTNET_ROOT="$DOTNET_ROOT" DOTNET_CLI_TELEMETRY_OPTOUT=1 PATH="$clean_path" "$@"; }

run swinface convert --checkpoint "$full/checkpoint.pt" --out "$work/swinface.swinface"
if ! cmp -s "$work/swinface.swinface" "$full/swinface-full.swinface"; then
  echo "error: swinface convert wrote a model file that differs from the Python export" >&2
  exit 1
fi
/usr/bin/python3 "$root/models/export/check_cli.py" --model "$work/swinface.swinface" --golden "$full/golden" \
  --cli "$work/tools/swinface" --path "$clean_path"
faces=$(run swinface analyze --model "$work/swinface.swinface" --json "$root/../shared/testdata/photos/three-faces.jpg" |
  /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)["images"][0]["faces"]))')
if [ "$faces" -lt 3 ]; then
  echo "error: swinface analyze found $faces faces in three-faces.jpg, expected 3" >&2
  exit 1
fi
# int8: the fidelity photos travel with the tool, so the conversion runs offline; the results say "int8".
run swinface convert --checkpoint "$full/checkpoint.pt" --out "$work/int8.swinface" --precision int8
precision=$(run swinface analyze --model "$work/int8.swinface" --json "$root/../shared/testdata/photos/three-faces.jpg" |
  /usr/bin/python3 -c 'import json, sys; m = json.load(sys.stdin)["model"]; print(m["precision"], m["fidelity"]["meetsTheBars"])')
if [ "$precision" != "int8 True" ]; then
  echo "error: the int8 model's results say '$precision', expected 'int8 True'" >&2
  exit 1
fi
echo "tool check: SwinFace.Cli $version installed from a local feed; without Python on PATH, 'swinface convert' equals the Python export byte for byte, 'swinface analyze' matches PyTorch and finds $faces faces in three-faces.jpg, and 'convert --precision int8' writes a model whose results say int8"
