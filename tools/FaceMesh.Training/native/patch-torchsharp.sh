#!/usr/bin/env bash
# Makes TorchSharp-cpu 0.107.0's native library load on Debian 12, whose libstdc++ stops at GLIBCXX_3.4.30:
# libLibTorchSharp.so asks for one GLIBCXX_3.4.32 symbol, std::ios_base_library_init() (a no-op hook of
# GCC 13's iostream initialisation). The fix: a tiny shim library that defines it, the symbol's version
# requirement cleared, the version need marked weak, and the shim added as a dependency. Idempotent; does
# nothing where the system libstdc++ already has GLIBCXX_3.4.32. Run on the restored package (MSBuild does,
# before building FaceMesh.Training); needs g++ and patchelf (installs them with apt-get if missing).
#   patch-torchsharp.sh DIR_WITH_libLibTorchSharp.so
set -euo pipefail
dir="$1"
lib="$dir/libLibTorchSharp.so"
shim="$dir/libfacemesh_glibcxx_shim.so"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -f "$lib" ] || { echo "patch-torchsharp: $lib not found" >&2; exit 1; }
if grep -aq 'GLIBCXX_3\.4\.32' "$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')"; then exit 0; fi
# The tools: patchelf, g++ (with binutils' readelf), python3 (mark-version-weak.py); installed when missing.
if ! command -v patchelf >/dev/null || ! command -v g++ >/dev/null || ! command -v readelf >/dev/null || ! command -v python3 >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf g++ binutils python3) >&2 \
    || { echo "patch-torchsharp: patchelf, g++, binutils and python3 are needed (apt-get install them; root and the Debian registry)" >&2; exit 1; }
fi
patched=0
readelf -d "$lib" | grep -q 'libfacemesh_glibcxx_shim.so' && patched=1
[ -f "$shim" ] && [ "$patched" = 1 ] && exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'namespace std { void ios_base_library_init() {} }\n' >"$work/shim.cpp"
g++ -shared -fPIC -O2 -o "$work/libfacemesh_glibcxx_shim.so" "$work/shim.cpp"
if [ "$patched" = 1 ]; then cp "$work/libfacemesh_glibcxx_shim.so" "$shim"; exit 0; fi   # the library was patched; only the shim was missing
cp "$lib" "$work/lib.so"
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$work/lib.so"
python3 "$here/mark-version-weak.py" "$work/lib.so" GLIBCXX_3.4.32 >&2
patchelf --add-needed libfacemesh_glibcxx_shim.so "$work/lib.so"
cp "$work/libfacemesh_glibcxx_shim.so" "$shim"
cp "$work/lib.so" "$lib"   # last: an interrupted run leaves the original in place
echo "patch-torchsharp: $lib patched to load with this libstdc++" >&2
