using Grpc.Net.Client.Balancer;

namespace FaceMesh.Gateway;

/// <summary>
/// Where the Gateway finds one internal service, in one of three forms, so that every instance of it gets calls:
/// <list type="bullet">
/// <item><c>http://host:port</c>: one address (a single process, or a Service that balances by itself).</item>
/// <item><c>dns:///name:port</c>: every address the name resolves to, re-resolved every
/// <c>Gateway:ResolveIntervalSeconds</c> and whenever a connection fails. On Kubernetes the name is a headless
/// Service, whose DNS answers with one address per ready pod, so pods the autoscaler adds get calls without a
/// Gateway restart.</item>
/// <item><c>http://host:port,http://host:port2</c>: a fixed list (the local fleet with a service started twice).</item>
/// </list>
/// gRPC holds one long-lived HTTP/2 connection per address, so balancing must happen per call in the client:
/// with more than one address, calls go round robin over the ready connections.
/// </summary>
public sealed record FleetAddress(string Service, Uri ChannelAddress, IReadOnlyList<BalancerAddress>? FixedAddresses)
{
    /// <summary>The scheme of the fixed lists (resolved by <see cref="StaticResolverFactory"/> from <see
    /// cref="FixedAddresses"/>).</summary>
    public const string FixedListScheme = "static";

    public bool Balanced => FixedAddresses is { Count: > 1 } || ChannelAddress.Scheme == "dns";

    /// <summary>Reads one setting; a malformed one throws with the setting's name and the accepted forms.</summary>
    public static FleetAddress Parse(string service, string setting, string value)
    {
        string Forms() => $"{setting} is '{value}': give http://host:port, dns:///name:port (every address of the name, e.g. a headless Service), " +
                          "or a comma-separated list of http://host:port.";
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
            throw new InvalidOperationException(Forms());
        if (parts.Length == 1 && parts[0].StartsWith("dns:", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(parts[0], UriKind.Absolute, out var dns) || dns.AbsolutePath.Trim('/').Length == 0 || !dns.AbsolutePath.Contains(':'))
                throw new InvalidOperationException(Forms() + " A dns: address needs a port: dns:///facemesh-detector.facemesh.svc.cluster.local:5010.");
            return new FleetAddress(service, dns, null);
        }
        var addresses = new List<BalancerAddress>();
        foreach (var part in parts)
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.IsDefaultPort && !part.Contains($":{uri.Port}"))
                throw new InvalidOperationException(Forms() + $" '{part}' is not http://host:port (the fleet's internal calls are cleartext HTTP/2 with an explicit port).");
            addresses.Add(new BalancerAddress(uri.Host, uri.Port));
        }
        if (addresses.Count == 1)
            return new FleetAddress(service, new Uri(parts[0]), addresses);
        // The resolver finds the list by the host part of this address (one list per internal service).
        return new FleetAddress(service, new Uri($"{FixedListScheme}:///{service.ToLowerInvariant()}"), addresses);
    }
}
