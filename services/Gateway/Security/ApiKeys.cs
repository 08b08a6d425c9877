using System.Security.Cryptography;
using System.Text;

namespace FaceMesh.Gateway.Security;

/// <summary>
/// FaceMesh API keys: how one is made and the hash the Gateway stores instead of the key. Server-side: callers only
/// send the key (the client library's <c>ApiKey</c> option); <c>facemesh keys new</c> makes one with this.
/// </summary>
public static class ApiKeys
{
    /// <summary>A new key: <c>fm_</c> and 32 random bytes, base64url (256 bits: its hash cannot be reversed by search).</summary>
    public static string New() => "fm_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Hex SHA-256 of the key's UTF-8 bytes: what the Gateway's configuration holds.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
