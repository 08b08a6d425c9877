// FaceMesh in one process: Detector, Embedder, Matcher and Gateway on their usual loopback ports.
// Enrollment events travel on MassTransit's in-memory bus (Bus:Transport=InMemory, the default here), or
// through RabbitMQ with --Bus:Transport=RabbitMq. Settings: appsettings.json here, or --Section:Key=value.
using FaceMesh.AllInOne;
using FaceMesh.Gateway;
using FaceMesh.Hosting;
using MassTransit;

var others = FleetServices.Called.Select(service => service.Build(args)).ToList();
var matcher = others[FleetServices.Called.ToList().FindIndex(s => s.Name == "Matcher")];
var gatewayBus = matcher.Services.GetService<IBus>(); // the in-memory bus is the Matcher's; the Gateway publishes on it
var hosts = others.Append(GatewayHost.Build(args, gatewayBus)).ToArray();
foreach (var host in hosts)
    await host.StartAsync();
Console.WriteLine($"FaceMesh (single process) ready: Gateway gRPC 127.0.0.1:{FleetPorts.Grpc("Gateway")}, " +
    $"HTTP 127.0.0.1:{FleetPorts.Http("Gateway")} (JSON API, /healthz, /readyz, /metrics)");
await Task.WhenAny(hosts.Select(h => h.WaitForShutdownAsync()));
foreach (var host in hosts.Reverse())
    await host.StopAsync();
