using System.ComponentModel.DataAnnotations;
using FaceMesh.Hosting;

namespace FaceMesh.Gateway;

/// <summary>Configuration section <c>Gateway</c>: each setting's default and meaning are here.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    // Each address: http://host:port, dns:///name:port (all its addresses, round robin) or a comma-separated list (FleetAddress).
    // By default the service on this machine, at its port in deploy/ports.json (FleetPorts); the chart sets the cluster's.
    [Required(ErrorMessage = "Gateway:DetectorAddress must be the Detector's gRPC address, e.g. http://127.0.0.1:5010 or "
        + "dns:///facemesh-detector.facemesh.svc.cluster.local:5010.")]
    public string DetectorAddress { get; set; } = FleetPorts.LocalAddress("Detector");

    [Required(ErrorMessage = "Gateway:EmbedderAddress must be the Embedder's gRPC address, e.g. http://127.0.0.1:5020.")]
    public string EmbedderAddress { get; set; } = FleetPorts.LocalAddress("Embedder");

    [Required(ErrorMessage = "Gateway:MatcherAddress must be the Matcher's gRPC address, e.g. http://127.0.0.1:5030.")]
    public string MatcherAddress { get; set; } = FleetPorts.LocalAddress("Matcher");

    /// <summary>
    /// How often a dns: address is resolved again, in seconds (and soon after a connection fails). The gRPC client never
    /// resolves one name more often than every 15 s.
    /// </summary>
    [Range(15, 3600, ErrorMessage = "Gateway:ResolveIntervalSeconds must be between 15 (the gRPC client's own floor) and 3600.")]
    public double ResolveIntervalSeconds { get; set; } = 15;

    /// <summary>The largest request accepted, in bytes (a request with photos); larger ones get RESOURCE_EXHAUSTED.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = Contracts.V1.ApiLimits.MaxRequestBytes;

    /// <summary>False-accept rate of a decision when the request names none.</summary>
    [Range(1e-9, 0.5)]
    public double DefaultFar { get; set; } = 1e-3;

    /// <summary>
    /// People (AddPhotos): two faces may be grouped as one person only at or above the pack's threshold at this false-accept
    /// rate, and two groups merge while their mean cosine reaches it (chosen on cfp-dev, tools/eval/README.md, People).
    /// </summary>
    public double PeopleFar { get; set; } = 1e-3;

    /// <summary>
    /// Embed each face and its mirror image (more accurate, twice the embedder's work). Unset: as the model pack says
    /// (its thresholds were calibrated that way).
    /// </summary>
    public bool? FlipAugmentation { get; set; }

    /// <summary>Faces of lower overall quality are refused at enrollment, or flagged (see <see cref="RefuseLowQuality"/>).</summary>
    [Range(0, 1)]
    public float MinEnrollQuality { get; set; } = 0.2f;

    /// <summary>True: a low-quality face is refused; false: it is enrolled and flagged.</summary>
    public bool RefuseLowQuality { get; set; } = true;

    [Range(1, 1000)]
    public int MaxPhotosPerEnroll { get; set; } = 32;

    /// <summary>Longest gallery name or subject id, in characters.</summary>
    [Range(1, 1024)]
    public int MaxNameLength { get; set; } = 128;

    /// <summary>Most candidates one Identify may ask for per face.</summary>
    [Range(1, 100)]
    public int MaxTopK { get; set; } = 100;

    /// <summary>Most subjects one ListSubjects page may ask for.</summary>
    [Range(1, 1000)]
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>How long Enroll (with wait_until_searchable) and DeleteSubject wait for the Matcher to apply an event, in
    /// seconds.</summary>
    [Range(0.1, 120)]
    public double EnrollmentWaitSeconds { get; set; } = 10;

    /// <summary>Deadline of an internal call when the caller sets none, in seconds.</summary>
    [Range(0.1, 600)]
    public double DefaultDeadlineSeconds { get; set; } = 30;
}
