namespace FaceMesh.Matcher;

/// <summary>Configuration section <c>Matcher</c>; defaults and meanings in appsettings.json.</summary>
public sealed class MatcherOptions
{
    public const string Section = "Matcher";

    /// <summary>Folder of the galleries' append-only log; empty keeps galleries in memory only (lost on restart).</summary>
    public string DataDirectory { get; set; } = "";
}
