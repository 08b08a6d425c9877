namespace FaceMesh.Client;

/// <summary>Where FaceMesh is and how to call it.</summary>
public sealed class FaceMeshClientOptions
{
    /// <summary>The Gateway's gRPC address, e.g. <c>http://127.0.0.1:5000</c>.</summary>
    public Uri Address { get; set; } = new("http://127.0.0.1:5000");

    /// <summary>Sent as <c>x-api-key</c> on every call when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Sent as <c>authorization: Bearer …</c> on every call when set.</summary>
    public string? BearerToken { get; set; }

    /// <summary>The deadline of a call that sets none.</summary>
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts of a call that failed with UNAVAILABLE (1 = no retry).</summary>
    public int MaxAttempts { get; set; } = 4;
}
