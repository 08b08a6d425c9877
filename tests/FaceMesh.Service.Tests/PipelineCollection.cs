namespace FaceMesh.Service.Tests;

/// <summary>The tests that share one <see cref="PipelineFixture"/> (xUnit wants the definition in the test assembly).</summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
