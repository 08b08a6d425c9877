using System.Text.Json;

namespace FaceMesh.Hosting;

/// <summary>
/// Each service's default ports, from <c>deploy/ports.json</c> (embedded at build): the one place they are written.
/// A service listens on its gRPC port and the next one (HTTP/1.1: health, readiness, metrics, the Gateway's JSON API);
/// further instances on one machine take the ports 2 and 4 … above (<c>deploy/local/fleet --detectors N</c>).
/// <see cref="ServiceDefaults.CreateBuilder"/> makes them each service's defaults, the Gateway's default addresses of
/// the other three follow from them, and <c>deploy/local/fleet</c> reads the same file.
/// </summary>
public static class FleetPorts
{
    private static readonly IReadOnlyDictionary<string, int> Ports = Load();

    /// <summary>The services by name (Gateway, Detector, Embedder, Matcher) and their gRPC ports.</summary>
    public static IReadOnlyDictionary<string, int> All => Ports;

    public static int Grpc(string service) => Ports.TryGetValue(service, out int port)
        ? port
        : throw new ArgumentException($"deploy/ports.json names no service '{service}'; it names {string.Join(", ", Ports.Keys)}.");

    public static int Http(string service) => Grpc(service) + 1;

    /// <summary>The service's gRPC address on this machine, e.g. http://127.0.0.1:5010 for the Detector.</summary>
    public static string LocalAddress(string service) => $"http://127.0.0.1:{Grpc(service)}";

    private static Dictionary<string, int> Load()
    {
        using var stream = typeof(FleetPorts).Assembly.GetManifestResourceStream("FaceMesh.ports.json")
            ?? throw new InvalidOperationException("FaceMesh.Hosting was built without deploy/ports.json embedded.");
        return JsonSerializer.Deserialize<Dictionary<string, int>>(stream)!;
    }
}
