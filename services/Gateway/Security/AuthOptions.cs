using System.ComponentModel.DataAnnotations;

namespace FaceMesh.Gateway.Security;

/// <summary>
/// Configuration section <c>Gateway:Auth</c>: who may call the Gateway. A caller presents an API key
/// (<c>x-api-key: KEY</c>) or a JWT (<c>authorization: Bearer TOKEN</c>); each maps to a tenant and a role.
/// Keys are stored as SHA-256 hashes only (make one with <c>facemesh keys new</c>). With nothing configured the
/// Gateway refuses to start, unless <see cref="AllowAnonymous"/> is set for a local trial.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Gateway:Auth";

    /// <summary>Calls without credentials act as <see cref="AnonymousTenant"/> with the admin role, without a rate limit. For a local trial
    /// only.</summary>
    public bool AllowAnonymous { get; set; }

    [Required]
    public string AnonymousTenant { get; set; } = "default";

    /// <summary>Keys in configuration (appsettings, environment, command line).</summary>
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];

    /// <summary>
    /// A JSON file of keys (<c>{"apiKeys": [ ... ]}</c>, e.g. a mounted Kubernetes secret), read again when it changes:
    /// keys are added, rotated and revoked without a restart.
    /// </summary>
    public string? ApiKeysFile { get; set; }

    /// <summary>How often the keys file is checked for changes, in seconds.</summary>
    [Range(0.1, 3600)]
    public double ReloadSeconds { get; set; } = 2;

    public JwtOptions Jwt { get; set; } = new();

    /// <summary>
    /// Audit lines also go to this file, one JSON object per line (appended; empty: the log only). Each line names the
    /// RPC, tenant, key id, gallery, subject and result, never a photo, an embedding or a score.
    /// </summary>
    public string? AuditFile { get; set; }

    /// <summary>Requests per second allowed to one key or token subject (a token bucket); 0 turns the limit off.</summary>
    [Range(0, 1_000_000)]
    public double RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests one key may send at once above the steady rate.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 100;

    /// <summary>
    /// Calls with missing or wrong credentials allowed per peer address and second (a token bucket); beyond it they
    /// get RESOURCE_EXHAUSTED with retry-after-ms. 0 turns the limit off.
    /// </summary>
    [Range(0, 1_000_000)]
    public double UnauthenticatedPerSecond { get; set; } = 5;

    [Range(1, 1_000_000)]
    public int UnauthenticatedBurst { get; set; } = 20;

    public bool AnyCredentialsConfigured => ApiKeys.Count > 0 || !string.IsNullOrEmpty(ApiKeysFile) || Jwt.Enabled;
}

/// <summary>One API key: its id (shown in audit lines and errors, never secret), the SHA-256 of the key, tenant and role.</summary>
public sealed class ApiKeyEntry
{
    public string Id { get; set; } = "";
    /// <summary>Hex SHA-256 of the key's UTF-8 bytes.</summary>
    public string Sha256 { get; set; } = "";
    public string Tenant { get; set; } = "";
    /// <summary><c>admin</c> (everything) or <c>reader</c> (verify, identify, detect, read galleries).</summary>
    public string Role { get; set; } = Roles.Reader;
    /// <summary>This key's own rate (requests per second); 0 takes <see cref="AuthOptions.RequestsPerSecond"/>.</summary>
    public double RequestsPerSecond { get; set; }
    /// <summary>This key's own burst; 0 takes <see cref="AuthOptions.Burst"/>.</summary>
    public int Burst { get; set; }
}

/// <summary>JWT bearer tokens: the issuer, audience and signing keys to accept, and the claims that name tenant and role.</summary>
public sealed class JwtOptions
{
    public string Issuer { get; set; } = "";
    public string Audience { get; set; } = "";
    /// <summary>HMAC keys, base64 (at least 32 bytes), for HS256.</summary>
    public List<string> HmacKeys { get; set; } = [];
    /// <summary>RSA or EC public keys in PEM, for RS256/ES256.</summary>
    public List<string> PublicKeysPem { get; set; } = [];
    public string TenantClaim { get; set; } = "tenant";
    public string RoleClaim { get; set; } = "role";
    [Range(0, 600)]
    public double ClockSkewSeconds { get; set; } = 30;

    public bool Enabled => HmacKeys.Count > 0 || PublicKeysPem.Count > 0;
}

public static class Roles
{
    public const string Admin = "admin";
    public const string Reader = "reader";

    public static bool IsKnown(string role) => role is Admin or Reader;
}

/// <summary>Who is calling: the tenant whose galleries the call may touch, the role, and an id for audit lines (never a secret).</summary>
/// <param name="RequestsPerSecond">This caller's own rate limit; 0 takes the Gateway's.</param>
/// <param name="Burst">This caller's own burst; 0 takes the Gateway's.</param>
public sealed record Caller(string Tenant, string Role, string KeyId, string Scheme, double RequestsPerSecond = 0, int Burst = 0);
