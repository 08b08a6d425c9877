using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway.Security;

/// <summary>Validates JWT bearer tokens against the configured issuer, audience and signing keys (signature, lifetime, both
/// names).</summary>
public sealed class JwtValidator
{
    private readonly JwtOptions _options;
    private readonly TokenValidationParameters? _parameters;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public JwtValidator(IOptions<AuthOptions> options)
    {
        _options = options.Value.Jwt;
        if (!_options.Enabled)
            return;
        if (string.IsNullOrEmpty(_options.Issuer) || string.IsNullOrEmpty(_options.Audience))
            throw new InvalidDataException("Gateway:Auth:Jwt needs Issuer and Audience when signing keys are configured.");
        var keys = new List<SecurityKey>();
        foreach (var hmac in _options.HmacKeys)
        {
            var bytes = Convert.FromBase64String(hmac);
            if (bytes.Length < 32)
                throw new InvalidDataException($"Gateway:Auth:Jwt:HmacKeys: a key of {bytes.Length} bytes is too short for HS256; use at least 32 random bytes, base64.");
            keys.Add(new SymmetricSecurityKey(bytes));
        }
        foreach (var pem in _options.PublicKeysPem)
        {
            if (TryEc(pem) is { } ec)
            {
                keys.Add(new ECDsaSecurityKey(ec));
            }
            else
            {
                var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                keys.Add(new RsaSecurityKey(rsa));
            }
        }
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKeys = keys,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(_options.ClockSkewSeconds),
        };
    }

    private static ECDsa? TryEc(string pem)
    {
        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec;
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public bool Enabled => _parameters is not null;

    /// <summary>The caller a valid token names, or the reason it is refused (said to the caller, without the token).</summary>
    public async Task<(Caller? Caller, string? Refusal)> ValidateAsync(string token)
    {
        if (_parameters is null)
            return (null, "this Gateway accepts no bearer tokens (no JWT signing keys are configured); send an API key in x-api-key");
        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid)
            return (null, result.Exception switch
            {
                SecurityTokenExpiredException => "the token has expired; get a new one",
                SecurityTokenInvalidAudienceException => $"the token's audience is not '{_options.Audience}'",
                SecurityTokenInvalidIssuerException => $"the token's issuer is not '{_options.Issuer}'",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature does not verify with any configured key",
                SecurityTokenNoExpirationException => "the token has no expiry (exp)",
                _ => "the token is malformed or not valid",
            });
        string? Claim(string type) => result.Claims.TryGetValue(type, out var v) ? v?.ToString() : null;
        var tenant = Claim(_options.TenantClaim);
        var role = Claim(_options.RoleClaim);
        if (string.IsNullOrEmpty(tenant))
            return (null, $"the token has no '{_options.TenantClaim}' claim naming the tenant");
        if (role is null || !Roles.IsKnown(role))
            return (null, $"the token's '{_options.RoleClaim}' claim is '{role}', not admin or reader");
        // Keyed by tenant and subject: two tenants' tokens with the same subject never share a rate-limit bucket.
        return (new Caller(tenant, role, $"jwt:{tenant}:{Claim("sub") ?? "?"}", "jwt"), null);
    }
}
