using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway.Security;

/// <summary>
/// The API keys the Gateway accepts, by SHA-256: those in configuration and those in <see cref="AuthOptions.ApiKeysFile"/>.
/// The file is checked every <see cref="AuthOptions.ReloadSeconds"/> and swapped in whole when its content changes, so a
/// key is added, rotated or revoked without a restart; a file that cannot be read or parsed keeps the previous keys and
/// says why in the log.
/// </summary>
public sealed class ApiKeyRing : IDisposable
{
    private readonly IOptionsMonitor<AuthOptions> _options;
    private readonly ILogger<ApiKeyRing> _log;
    private readonly Timer? _timer;
    private readonly Lock _reload = new();
    private FrozenDictionary<string, ApiKeyEntry> _fromFile = FrozenDictionary<string, ApiKeyEntry>.Empty;
    private FrozenDictionary<string, ApiKeyEntry> _fromConfiguration = FrozenDictionary<string, ApiKeyEntry>.Empty;
    private string? _fileHash;
    private readonly IDisposable? _onChange;

    public ApiKeyRing(IOptionsMonitor<AuthOptions> options, ILogger<ApiKeyRing> log)
    {
        _options = options;
        _log = log;
        _fromConfiguration = Index(options.CurrentValue.ApiKeys, "configuration");
        _onChange = options.OnChange(o =>
        {
            try
            {
                _fromConfiguration = Index(o.ApiKeys, "configuration");
            }
            catch (InvalidDataException e)
            {
                _log.LogError("The changed API keys in configuration were not taken ({Reason}); the previous keys stay in force.", e.Message);
            }
        });
        if (!string.IsNullOrEmpty(options.CurrentValue.ApiKeysFile))
        {
            ReloadFile();
            var period = TimeSpan.FromSeconds(options.CurrentValue.ReloadSeconds);
            _timer = new Timer(_ => ReloadFile(), null, period, period);
        }
    }

    /// <summary>The entry of a presented key, or null when no configured key has its hash.</summary>
    public ApiKeyEntry? Find(string presentedKey)
    {
        var hash = ApiKeys.Hash(presentedKey);
        return _fromConfiguration.GetValueOrDefault(hash) ?? _fromFile.GetValueOrDefault(hash);
    }

    private sealed record KeysFile(List<ApiKeyEntry?>? ApiKeys);

    private void ReloadFile()
    {
        lock (_reload)
        {
            var path = _options.CurrentValue.ApiKeysFile!;
            try
            {
                var bytes = File.ReadAllBytes(path);
                var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
                if (hash == _fileHash)
                    return;
                var file = JsonSerializer.Deserialize<KeysFile>(bytes, new JsonSerializerOptions { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip })
                           ?? throw new InvalidDataException("the file is empty");
                _fromFile = Index(file.ApiKeys ?? throw new InvalidDataException("'apiKeys' is missing or null (an empty list [] revokes every key)"), path);
                _fileHash = hash;
                _log.LogInformation("API keys loaded from {File}: {Count} keys", path, _fromFile.Count);
            }
            catch (Exception e)
            {
                // Whatever is wrong with the file, it runs on the reload timer: nothing may escape and end the process.
                _log.LogError("The API keys file {File} could not be used ({Reason}); the previous keys stay in force. " +
                              "Fix the file: {{\"apiKeys\": [{{\"id\", \"sha256\", \"tenant\", \"role\"}}]}}", path,
                              e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException ? e.Message : $"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>Checks every entry (a wrong one is named, and the whole set refused) and indexes them by hash.</summary>
    private static FrozenDictionary<string, ApiKeyEntry> Index(IEnumerable<ApiKeyEntry?> entries, string source)
    {
        var result = new Dictionary<string, ApiKeyEntry>(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (var e in entries)
        {
            if (e is null)
                throw new InvalidDataException($"apiKeys[{index}] in {source} is null; every entry needs an id, sha256, tenant and role.");
            if (string.IsNullOrWhiteSpace(e.Id) || string.IsNullOrWhiteSpace(e.Tenant))
                throw new InvalidDataException($"apiKeys[{index}] in {source} lacks its id or tenant.");
            if (!ids.Add(e.Id))
                throw new InvalidDataException($"Two API keys in {source} have the id '{e.Id}'; give each key its own id.");
            if (e.Sha256 is null || e.Sha256.Length != 64 || !e.Sha256.All(Uri.IsHexDigit))
                throw new InvalidDataException($"API key '{e.Id}' in {source}: sha256 must be the 64 hex digits of the key's SHA-256 (facemesh keys new prints it).");
            if (e.Role is null || !Roles.IsKnown(e.Role))
                throw new InvalidDataException($"API key '{e.Id}' in {source}: role '{e.Role}' is not admin or reader.");
            if (!result.TryAdd(e.Sha256.ToLowerInvariant(), e))
                throw new InvalidDataException($"API key '{e.Id}' in {source} has the same hash as another key.");
            index++;
        }
        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _onChange?.Dispose();
    }
}
