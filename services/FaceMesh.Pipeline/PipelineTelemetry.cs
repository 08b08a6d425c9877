using System.Diagnostics;

namespace FaceMesh.Pipeline;

/// <summary>
/// The pipeline's trace spans (ActivitySource <c>FaceMesh.Pipeline</c>): decode, detect, align (landmarks and
/// warp), embed (per request) and embed.batch (per model run, with its batch size, linked to the requests it
/// served). Nothing is recorded unless a tracer listens (the services' OpenTelemetry set-up does).
/// </summary>
public static class PipelineTelemetry
{
    public const string SourceName = "FaceMesh.Pipeline";
    public static readonly ActivitySource Source = new(SourceName);
}
