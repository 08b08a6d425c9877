using FaceMesh.Detector;
using FaceMesh.Embedder;
using FaceMesh.Gateway;
using FaceMesh.Matcher;

namespace FaceMesh.AllInOne;

/// <summary>Each service's host and ports in the single process (the same ports as deploy/local/fleet); <see cref="All"/> lists the
/// services the Gateway calls.</summary>
public sealed record FleetPorts(string Name, Func<string[], WebApplication> Build, int GrpcPort)
{
    public string[] Arguments => [$"--Endpoints:GrpcPort={GrpcPort}", $"--Endpoints:HttpPort={GrpcPort + 1}"];

    public static readonly IReadOnlyList<FleetPorts> All =
    [
        new("Detector", DetectorHost.Build, 5010),
        new("Embedder", EmbedderHost.Build, 5020),
        new("Matcher", MatcherHost.Build, 5030),
    ];

    /// <summary>Built last, with the Matcher's in-memory bus.</summary>
    public static readonly FleetPorts Gateway = new("Gateway", GatewayHost.Build, 5000);
}
