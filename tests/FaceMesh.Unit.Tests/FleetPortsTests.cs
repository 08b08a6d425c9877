using System.Text.Json;
using FaceMesh.Hosting;

namespace FaceMesh.Unit.Tests;

/// <summary>The fleet's default ports: written once in deploy/ports.json, embedded in the services as they are there.</summary>
public sealed class FleetPortsTests
{
    [Fact]
    public void The_embedded_ports_are_the_files_and_no_two_services_share_a_port()
    {
        var path = Path.Combine(TestPaths.RepositoryRoot, "deploy", "ports.json");
        var file = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(path))!;
        Assert.Equal(file.OrderBy(p => p.Key), FleetPorts.All.OrderBy(p => p.Key));
        Assert.Equal(["Detector", "Embedder", "Gateway", "Matcher"], FleetPorts.All.Keys.Order());
        var every = FleetPorts.All.Keys.SelectMany(s => new[] { FleetPorts.Grpc(s), FleetPorts.Http(s) }).ToArray();
        Assert.Equal(every.Length, every.Distinct().Count());
        Assert.Equal($"http://127.0.0.1:{file["Detector"]}", FleetPorts.LocalAddress("Detector"));
        Assert.Equal(FleetPorts.LocalAddress("Matcher"), new FaceMesh.Gateway.GatewayOptions().MatcherAddress);
    }

    [Fact]
    public void An_unknown_service_is_refused_with_the_known_names()
    {
        var e = Assert.Throws<ArgumentException>(() => FleetPorts.Grpc("Trainer"));
        Assert.Contains("Gateway", e.Message);
        Assert.Contains("deploy/ports.json", e.Message);
    }
}
