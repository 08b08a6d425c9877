using System.Reflection;

namespace FaceMesh.Gateway;

/// <summary>The Gateway's version as the build stamped it: the informational version, with the commit it was built from.</summary>
public static class GatewayVersion
{
    public static string Informational { get; } =
        typeof(GatewayVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
