using System.ComponentModel;
using FaceMesh.Client;
using Google.Protobuf;
using Spectre.Console.Cli;

namespace FaceMesh.Cli;

/// <summary>The options of the commands that call a running FaceMesh fleet.</summary>
public class ServerSettings : CommandSettings
{
    [CommandOption("--server <URL>")]
    [Description("The Gateway's gRPC address (default: $FACEMESH_SERVER or http://127.0.0.1:5000, as deploy/local/fleet starts it).")]
    public string? Server { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("API key sent with every call (default: $FACEMESH_API_KEY).")]
    public string? ApiKey { get; init; }

    [CommandOption("--gallery <NAME>")]
    [Description("The gallery.")]
    [DefaultValue("default")]
    public string Gallery { get; init; } = "default";

    public (Contracts.V1.FaceMeshApi.FaceMeshApiClient Client, Grpc.Net.Client.GrpcChannel Channel) Connect() =>
        FaceMeshClientFactory.Create(new FaceMeshClientOptions
        {
            Address = new Uri(Server ?? Environment.GetEnvironmentVariable("FACEMESH_SERVER") ?? "http://127.0.0.1:5000"),
            ApiKey = ApiKey ?? Environment.GetEnvironmentVariable("FACEMESH_API_KEY"),
        });

    public static Contracts.V1.Image Photo(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };
}
