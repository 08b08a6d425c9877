#!/usr/bin/python3
"""A small client for FaceMesh's public gRPC API (facemesh.v1.FaceMeshApi), for Debian's python3.

Importing it compiles protos/facemesh/v1/facemesh.proto and the files it imports with protoc into generated/ beside
this file (on first use, and again when a .proto or this file is newer than the generated code), then imports them:

    import facemesh_client as fm
    with fm.Client("127.0.0.1:5000", api_key=None) as client:
        reply = client.Verify(fm.facemesh_pb2.VerifyRequest(probe=fm.image("a.jpg"), reference_image=fm.image("b.jpg")))

Every RPC of the service is an attribute of Client (client.Identify, client.Enroll, ...), called with its request
message; it raises grpc.RpcError on a gRPC error. Needs: apt-get install protobuf-compiler python3-grpcio
python3-protobuf. No *_pb2_grpc.py is generated (Debian ships no Python gRPC plugin): the stubs are generic ones
built from the service's descriptor.
"""

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import grpc
    from google.protobuf import descriptor_pb2, descriptor_pool
except ImportError as missing:
    raise ImportError(f"{missing}: the FaceMesh Python client needs Debian's gRPC and protobuf modules "
                      "(apt-get install protobuf-compiler python3-grpcio python3-protobuf) and runs with "
                      "/usr/bin/python3") from missing

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "protos"))  # the repository's protos/
GENERATED = os.path.join(HERE, "generated")  # git-ignored
ROOT_PROTO = "facemesh/v1/facemesh.proto"
SERVICE = "facemesh.v1.FaceMeshApi"
MAX_MESSAGE = 32 * 1024 * 1024  # bytes; photos may be up to 20 MiB (the Gateway's default limit)

# facemesh.proto's HTTP rules (for the Gateway's JSON transcoding) import google/api/annotations.proto, which Debian's
# protoc does not ship. These are minimal copies of Google's public definitions: same files, packages, names and field
# numbers, without the documentation. The generated code only needs them to load facemesh.proto's descriptor.
GOOGLE_API_PROTOS = {
    "google/api/http.proto": """syntax = "proto3";
package google.api;

message Http {
  repeated HttpRule rules = 1;
  bool fully_decode_reserved_expansion = 2;
}

message HttpRule {
  string selector = 1;
  oneof pattern {
    string get = 2;
    string put = 3;
    string post = 4;
    string delete = 5;
    string patch = 6;
    CustomHttpPattern custom = 8;
  }
  string body = 7;
  string response_body = 12;
  repeated HttpRule additional_bindings = 11;
}

message CustomHttpPattern {
  string kind = 1;
  string path = 2;
}
""",
    "google/api/annotations.proto": """syntax = "proto3";
package google.api;

import "google/api/http.proto";
import "google/protobuf/descriptor.proto";

extend google.protobuf.MethodOptions {
  HttpRule http = 72295728;
}
""",
}

_IMPORT = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.MULTILINE)
_OUTPUT_TREES = ("include", "facemesh", "google")  # what a build puts in generated/
_STAMP = os.path.join(GENERATED, ".stamp")


class SetupError(RuntimeError):
    """The protos could not be compiled (protoc missing or failing, a .proto not found)."""


def _proto_text(name):
    if name in GOOGLE_API_PROTOS:
        return GOOGLE_API_PROTOS[name]
    with open(os.path.join(PROTOS, name), encoding="utf-8") as source:
        return source.read()


def _protos_to_compile():
    """facemesh.proto and every file it imports, directly or not, except protobuf's own (google/protobuf/*)."""
    found, pending = [], [ROOT_PROTO]
    while pending:
        name = pending.pop()
        if name in found or name.startswith("google/protobuf/"):
            continue
        if name not in GOOGLE_API_PROTOS and not os.path.isfile(os.path.join(PROTOS, name)):
            raise SetupError(f"{name} (imported by the FaceMesh protos) is not in {PROTOS}")
        found.append(name)
        pending.extend(_IMPORT.findall(_proto_text(name)))
    return sorted(found)


def _outputs(protos):
    return [os.path.join(GENERATED, name[:-len(".proto")] + "_pb2.py") for name in protos]


def _stale(protos):
    if not os.path.isfile(_STAMP) or not all(os.path.isfile(path) for path in _outputs(protos)):
        return True
    built = os.path.getmtime(_STAMP)
    sources = [os.path.join(PROTOS, name) for name in protos if name not in GOOGLE_API_PROTOS]
    return any(os.path.getmtime(path) > built for path in sources + [os.path.abspath(__file__)])


def _protoc():
    # Debian's protoc first: its generated code matches Debian's python3-protobuf runtime.
    protoc = os.environ.get("FACEMESH_PROTOC") or ("/usr/bin/protoc" if os.path.exists("/usr/bin/protoc") else
                                                   shutil.which("protoc"))
    if not protoc:
        raise SetupError("protoc not found: apt-get install protobuf-compiler")
    return protoc


def _well_known_types(protos, path):
    """protobuf's own protos (descriptor.proto, ...) as a FileDescriptorSet, taken from the Python runtime: Debian's
    protoc has no copy of them without libprotobuf-dev, and the runtime's are the ones the generated code will use."""
    wanted, seen, files = ["google/protobuf/descriptor.proto"], set(), descriptor_pb2.FileDescriptorSet()
    for name in (n for p in protos for n in _IMPORT.findall(_proto_text(p))):
        if name.startswith("google/protobuf/"):
            wanted.append(name)
    pool = descriptor_pool.Default()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        module = "google.protobuf." + os.path.basename(name)[:-len(".proto")] + "_pb2"
        try:
            __import__(module)
            descriptor = pool.FindFileByName(name)
        except (ImportError, KeyError) as error:
            raise SetupError(f"the protobuf runtime has no {name}: {error}") from error
        wanted.extend(dependency.name for dependency in descriptor.dependencies)
        descriptor.CopyToProto(files.file.add())
    with open(path, "wb") as out:
        out.write(files.SerializeToString())


def _build(protos):
    """Compiles into a fresh folder inside generated/, then moves its trees into place (under the caller's lock)."""
    build = tempfile.mkdtemp(prefix=".build-", dir=GENERATED)
    try:
        include = os.path.join(build, "include")
        for name, text in GOOGLE_API_PROTOS.items():
            os.makedirs(os.path.dirname(os.path.join(include, name)), exist_ok=True)
            with open(os.path.join(include, name), "w", encoding="utf-8") as out:
                out.write(text)
        well_known = os.path.join(build, "well-known.pb")
        _well_known_types(protos, well_known)
        command = [_protoc(), f"--descriptor_set_in={well_known}", f"-I{PROTOS}", f"-I{include}",
                   f"--python_out={build}"] + protos
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SetupError(f"protoc failed ({' '.join(command)}):\n{result.stderr.strip()}")
        os.remove(well_known)
        if os.path.exists(_STAMP):
            os.remove(_STAMP)  # an interrupted swap leaves no stamp: the next run builds again
        for tree in _OUTPUT_TREES:
            shutil.rmtree(os.path.join(GENERATED, tree), ignore_errors=True)
            os.rename(os.path.join(build, tree), os.path.join(GENERATED, tree))
        with open(_STAMP + ".tmp", "w", encoding="utf-8") as stamp:
            stamp.write("\n".join(protos) + "\n")
        os.replace(_STAMP + ".tmp", _STAMP)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def ensure_generated():
    """Compiles the protos when needed; a lock keeps concurrent first runs from building over each other."""
    protos = _protos_to_compile()
    os.makedirs(GENERATED, exist_ok=True)
    with open(os.path.join(GENERATED, ".lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _stale(protos):
            _build(protos)
    if GENERATED not in sys.path:
        sys.path.insert(0, GENERATED)


ensure_generated()
from facemesh.v1 import common_pb2, facemesh_pb2  # noqa: E402  (generated just above)


def image(path):
    """An Image message with the bytes of a photo file (OSError when it cannot be read)."""
    with open(path, "rb") as photo:
        return common_pb2.Image(content=photo.read())


class Client:
    """FaceMeshApi over an insecure (plaintext HTTP/2) channel; each RPC is an attribute: client.Verify(request)."""

    def __init__(self, target, api_key=None, timeout=30.0):
        self.timeout = timeout
        self.metadata = [("x-api-key", api_key)] if api_key else []
        self.channel = grpc.insecure_channel(target, options=[
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", MAX_MESSAGE),
        ])
        self._methods = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        service = facemesh_pb2.DESCRIPTOR.services_by_name[SERVICE.rsplit(".", 1)[1]]
        method = service.methods_by_name.get(name)
        if method is None:
            raise AttributeError(f"{SERVICE} has no method {name}")
        if name not in self._methods:
            self._methods[name] = self.channel.unary_unary(
                f"/{SERVICE}/{name}",
                request_serializer=_message_class(method.input_type).SerializeToString,
                response_deserializer=_message_class(method.output_type).FromString)

        def call(request, timeout=None, metadata=()):
            return self._methods[name](request, timeout=timeout or self.timeout,
                                       metadata=self.metadata + list(metadata))
        return call

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def _message_class(descriptor):
    # Top-level messages of facemesh.proto or common.proto (every FaceMeshApi response is one).
    module = {"facemesh/v1/facemesh.proto": facemesh_pb2, "facemesh/v1/common.proto": common_pb2}[descriptor.file.name]
    return getattr(module, descriptor.name)
