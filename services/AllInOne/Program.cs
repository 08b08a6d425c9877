// FaceMesh in one process: Detector, Embedder, Matcher and Gateway on their usual loopback ports.
// Settings: appsettings.json here, or --Detector:Pack=…, --Embedder:Pack=… on the command line.
using FaceMesh.AllInOne;

var hosts = FleetPorts.All.Select(service => service.Build([.. args, .. service.Arguments])).ToArray();
foreach (var host in hosts)
    await host.StartAsync();
Console.WriteLine("FaceMesh (single process) ready: Gateway gRPC 127.0.0.1:5000, HTTP 127.0.0.1:5001 (JSON API, /healthz, /readyz, /metrics)");
await Task.WhenAny(hosts.Select(h => h.WaitForShutdownAsync()));
foreach (var host in hosts.Reverse())
    await host.StopAsync();
