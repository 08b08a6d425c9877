using System.ComponentModel;
using System.Text.Json;
using FaceMesh.Gateway.Security;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh keys new --id ID --tenant T --role admin|reader</c>: makes an API key. Prints the key (give it to the
/// caller; it is not stored anywhere) and the entry for the Gateway's keys file, which holds only its SHA-256.
/// </summary>
public sealed class KeysNewCommand : Command<KeysNewCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--id <ID>")]
        [Description("The key's name in audit lines and errors (not secret), e.g. acme-backend-1.")]
        public string Id { get; init; } = "";

        [CommandOption("--tenant <TENANT>")]
        [Description("The tenant whose galleries the key reaches.")]
        public string Tenant { get; init; } = "";

        [CommandOption("--role <ROLE>")]
        [Description("admin (enroll, delete and everything else) or reader (verify, identify, detect, read galleries).")]
        [DefaultValue("reader")]
        public string Role { get; init; } = "reader";

        public override ValidationResult Validate() =>
            Id.Length == 0 || Tenant.Length == 0 ? ValidationResult.Error("--id and --tenant are required.")
            : Role is not ("admin" or "reader") ? ValidationResult.Error($"--role is '{Role}'; it must be admin or reader.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var key = ApiKeys.New();
        var entry = new { id = settings.Id, sha256 = ApiKeys.Hash(key), tenant = settings.Tenant, role = settings.Role };
        Console.WriteLine($"key (give it to the caller; FaceMesh keeps only its hash): {key}");
        Console.WriteLine("entry for the Gateway's keys file ({\"apiKeys\": [ ... ]}, Gateway:Auth:ApiKeysFile):");
        Console.WriteLine(JsonSerializer.Serialize(entry));
        return 0;
    }
}
