#!/usr/bin/python3
"""Is the face in PHOTO_A the person in PHOTO_B? Calls FaceMesh's facemesh.v1.FaceMeshApi/Verify over gRPC.

    /usr/bin/python3 tools/examples/python/verify.py 127.0.0.1:5000 photo1.jpg photo2.jpg [--api-key K] [--far F]

Prints the model, the two faces compared, the threshold and the false-accept rate, then as its last line
"score 0.8123 match" or "score 0.1234 no match". Exit 0 on an answer (match or not), 2 on an error
(a gRPC error prints "error: STATUS: details" to stderr).
"""

import argparse
import sys


def describe(face):
    if face is None:
        return "none"
    box, quality = face.box, face.quality
    return (f"box {box.left:.0f},{box.top:.0f} {box.width:.0f}x{box.height:.0f}  quality {quality.overall:.2f} "
            f"(detector {face.score:.2f}, eye distance {quality.eye_distance:.0f} px)")


def main():
    parser = argparse.ArgumentParser(description="Verify two photos with FaceMesh (facemesh.v1.FaceMeshApi/Verify).")
    parser.add_argument("target", metavar="HOST:PORT", help="the Gateway's gRPC address, e.g. 127.0.0.1:5000")
    parser.add_argument("probe", metavar="PHOTO_A")
    parser.add_argument("reference", metavar="PHOTO_B")
    parser.add_argument("--api-key", help="sent as x-api-key metadata (a fleet without API keys needs none)")
    parser.add_argument("--far", type=float, default=0.0,
                        help="false-accept rate to decide at, one the model is calibrated for (default: 1e-3)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S", help="deadline in seconds (default 30)")
    args = parser.parse_args()

    sys.dont_write_bytecode = True  # no __pycache__ beside the example (generated/ is git-ignored anyway)
    try:
        import facemesh_client as fm  # says what to install when gRPC is missing; compiles the protos on first use
        import grpc
    except (ImportError, RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    photos = []
    for path in (args.probe, args.reference):
        try:
            photos.append(fm.image(path))
        except OSError as error:
            print(f"error: cannot read photo {path}: {error.strerror or error}", file=sys.stderr)
            return 2

    request = fm.facemesh_pb2.VerifyRequest(probe=photos[0], reference_image=photos[1], far=args.far)
    with fm.Client(args.target, api_key=args.api_key, timeout=args.timeout) as client:
        try:
            reply = client.Verify(request)
        except grpc.RpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            return 2

    print(f"model {reply.model_id}")
    print(f"probe face ({args.probe}): {describe(reply.probe_face if reply.HasField('probe_face') else None)}")
    print(f"reference face ({args.reference}): "
          f"{describe(reply.reference_face if reply.HasField('reference_face') else None)}")
    print(f"threshold {reply.threshold:.4f} at far {reply.far:g}")
    print(f"score {reply.score:.4f} {'match' if reply.match else 'no match'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
