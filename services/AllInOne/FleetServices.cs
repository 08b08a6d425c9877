using FaceMesh.Detector;
using FaceMesh.Embedder;
using FaceMesh.Gateway;
using FaceMesh.Matcher;

namespace FaceMesh.AllInOne;

/// <summary>
/// The services the single process hosts. Each listens on its own default ports (FleetPorts: deploy/ports.json, the same
/// as deploy/local/fleet's), and the Gateway's default addresses of the other three are those ports on loopback.
/// </summary>
public sealed record FleetServices(string Name, Func<string[], WebApplication> Build)
{
    /// <summary>The services the Gateway calls, built first.</summary>
    public static readonly IReadOnlyList<FleetServices> Called =
    [
        new("Detector", DetectorHost.Build),
        new("Embedder", EmbedderHost.Build),
        new("Matcher", MatcherHost.Build),
    ];
}
