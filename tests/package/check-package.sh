#!/usr/bin/env bash
# Packs the SwinFace NuGet package into a local folder feed, creates a new console app in a temporary
# folder that references it, and analyses a photo with the tiny test model. Proves that the package
# alone (with its YuNet detector, and BlazeFace as the option) is enough for an app, and that the detectors'
# models arrive in the app's output with their licences.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A version of its own, so that no package cached from an earlier check is used.
version="$(dotnet msbuild "$root/src/SwinFace/SwinFace.csproj" -getProperty:VersionPrefix)-check.$(date +%s)"
trap 'rm -rf "$work" "${NUGET_PACKAGES:-$HOME/.nuget/packages}/swinface/$version"' EXIT
dotnet pack "$root/src/SwinFace" -c Release -o "$work/feed" -p:Version="$version" --nologo -v quiet
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
dotnet new console -o "$work/app" >/dev/null
cd "$work/app"
dotnet add package SwinFace --version "$version" >/dev/null
cat > Program.cs <<'CS'
using SwinFace;

using FaceAnalyzer analyzer = FaceAnalyzer.Create(args[0]);
PhotoAnalysis photo = analyzer.AnalyzePhoto(args[1]);
Console.WriteLine($"faces: {photo.Faces.Count}");
foreach (PhotoFace face in photo.Faces)
{
    Console.WriteLine($"  {face.Detection.Box} age {face.Analysis.Age:F1} {face.Analysis.Expression!.Label}, aligned by {face.AlignmentPoints} points");
}

// The default detector is YuNet: every face has both mouth corners and is aligned by five points.
return photo.Faces.Count == int.Parse(args[2]) && photo.Faces.All(f => f.AlignmentPoints == 5) ? 0 : 1;
CS
out=$(dotnet run -c Release -- "$root/models/testdata/swinface-tiny.swinface" "$root/../shared/testdata/photos/three-faces.jpg" 3)
echo "$out"
for f in yunet/yunet_n_dynamic.onnx yunet/LICENSE yunet/YUNET-NOTICE.md \
         blazeface/face_detection_front_128x128_barracuda.onnx blazeface/face_detection_back_256x256_barracuda.onnx blazeface/LICENSE blazeface/BLAZEFACE-NOTICE.md; do
  if [ ! -s "bin/Release/net10.0/$f" ]; then
    echo "error: the package did not put $f into the app's output" >&2
    exit 1
  fi
done
echo "package check: a new console app with SwinFace $version from a local feed found $(echo "$out" | head -n 1 | cut -d' ' -f2) faces (expected 3), each aligned by five points; yunet/ and blazeface/ arrived with their licences"
