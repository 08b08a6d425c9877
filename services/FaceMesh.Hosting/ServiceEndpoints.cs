using System.ComponentModel.DataAnnotations;

namespace FaceMesh.Hosting;

/// <summary>
/// The two ports of a service (configuration section <c>Endpoints</c>): gRPC on HTTP/2 cleartext, and
/// <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> on HTTP/1.1 (Prometheus cannot scrape HTTP/2-only ports).
/// Port 0 picks a free port (tests).
/// </summary>
public sealed class ServiceEndpoints
{
    public const string Section = "Endpoints";

    /// <summary>Address to listen on; loopback by default, 0.0.0.0 in a container.</summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The gRPC port; by default the service's in deploy/ports.json (<see cref="FleetPorts"/>).</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; }

    /// <summary>The HTTP/1.1 port; by default the gRPC port's default + 1.</summary>
    [Range(0, 65535)]
    public int HttpPort { get; set; }

    /// <summary>
    /// TLS on the gRPC port: a PEM certificate (chain) and its PEM private key, e.g. a mounted kubernetes.io/tls secret.
    /// Both empty: cleartext HTTP/2 (inside the cluster, or behind a TLS-terminating ingress).
    /// </summary>
    public string TlsCertificateFile { get; set; } = "";
    public string TlsKeyFile { get; set; } = "";

    /// <summary>How often the certificate files are checked for a renewal, in seconds (new connections get the new one).</summary>
    [Range(1, 86400)]
    public double TlsReloadSeconds { get; set; } = 60;

    /// <summary>
    /// Whether TLS is configured. With TLS the gRPC port speaks HTTP/1.1 too (ALPN), so the JSON API is served over TLS
    /// there; the cleartext HTTP/1.1 port keeps only what probes and Prometheus need.
    /// </summary>
    public bool Tls => TlsCertificateFile.Length > 0 || TlsKeyFile.Length > 0;
}
