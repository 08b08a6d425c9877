using System.Collections.Concurrent;
using FaceMesh.Gateway.Security;
using FaceMesh.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceMesh.Unit.Tests;

/// <summary>
/// A keys file or fleet token that is wrong never opens the fleet or takes a replica down: the previous keys stay in
/// force and the log names what is wrong; an empty fleet token file refuses to start.
/// </summary>
public sealed class KeysFileTests
{
    private sealed class Monitor(AuthOptions value) : IOptionsMonitor<AuthOptions>
    {
        public AuthOptions CurrentValue => value;
        public AuthOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<AuthOptions, string?> listener) => null;
    }

    private sealed class Collected : ILogger<ApiKeyRing>
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) => Lines.Enqueue($"{level}: {format(state, e)}");
    }

    [Fact]
    public async Task A_keys_file_with_null_entries_null_fields_or_duplicate_ids_keeps_the_previous_keys_and_says_why()
    {
        var key = ApiKeys.New();
        var path = Path.Combine(TestPaths.NewTempDirectory(), "keys.json");
        string good = $$"""{"apiKeys":[{"id":"a","sha256":"{{ApiKeys.Hash(key)}}","tenant":"acme","role":"admin"}]}""";
        File.WriteAllText(path, good);
        var log = new Collected();
        using var ring = new ApiKeyRing(new Monitor(new AuthOptions { ApiKeysFile = path, ReloadSeconds = 0.05 }), log);
        Assert.Equal("acme", ring.Find(key)?.Tenant);

        var broken = new (string Json, string Reason)[]
        {
            ("""{"apiKeys":[null]}""", "apiKeys[0]"),
            ("""{"apiKeys":null}""", "'apiKeys' is missing or null"),
            ("""{"keys":[]}""", "'apiKeys' is missing or null"),
            ("""{"apiKeys":[{"id":null,"sha256":null,"tenant":null,"role":null}]}""", "lacks its id or tenant"),
            ($$"""{"apiKeys":[{"id":"a","sha256":"{{ApiKeys.Hash(key)}}","tenant":"acme","role":null}]}""", "role"),
            ($$"""{"apiKeys":[{"id":"a","sha256":"{{ApiKeys.Hash(key)}}","tenant":"acme"},{"id":"a","sha256":"{{ApiKeys.Hash(ApiKeys.New())}}","tenant":"acme"}]}""", "have the id 'a'"),
            ("null", "empty"),
        };
        foreach (var (json, reason) in broken)
        {
            log.Lines.Clear();
            File.WriteAllText(path, json);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!log.Lines.Any(l => l.Contains(reason)) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.Contains(log.Lines, l => l.StartsWith("Error") && l.Contains(reason) && l.Contains("the previous keys stay in force"));
            Assert.Equal("acme", ring.Find(key)?.Tenant); // still served by the previous keys
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    public void An_empty_fleet_token_file_refuses_to_start_and_only_an_unset_token_means_a_trial(string content)
    {
        var file = Path.Combine(TestPaths.NewTempDirectory(), "token");
        File.WriteAllText(file, content);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Fleet:TokenFile"] = file }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => new FleetToken(configuration));
        Assert.Contains("is empty", e.Message);
        Assert.Contains(file, e.Message);

        var unset = new FleetToken(new ConfigurationBuilder().Build());
        Assert.Null(unset.Value);
        Assert.True(unset.Matches(null));
    }
}
