using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Unit.Tests;

/// <summary>The embedded store, in memory.</summary>
public sealed class EmbeddedStoreContractTests : VectorStoreContract
{
    protected override IVectorStore CreateStore() => new EmbeddedVectorStore(new EmbeddedStoreOptions());
}

/// <summary>The embedded store with a data directory and the int8 scan.</summary>
public sealed class DurableInt8EmbeddedStoreContractTests : VectorStoreContract
{
    protected override IVectorStore CreateStore() =>
        new EmbeddedVectorStore(new EmbeddedStoreOptions { DataDirectory = TestPaths.NewTempDirectory(), Int8Scan = true });
}
