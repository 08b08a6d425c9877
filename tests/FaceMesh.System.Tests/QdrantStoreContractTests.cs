using FaceMesh.Matching;
using FaceMesh.Matching.Qdrant;

namespace FaceMesh.SystemTests;

/// <summary>
/// A real Qdrant server, when FACEMESH_QDRANT_URL names one (e.g. http://127.0.0.1:6334); skipped otherwise
/// (these machines have none). Each run uses its own collection prefix and drops its collections.
/// </summary>
public sealed class QdrantStoreContractTests : VectorStoreContract
{
    private static readonly string? Url = Environment.GetEnvironmentVariable("FACEMESH_QDRANT_URL");
    private readonly string _prefix = "facemesh_test_" + Guid.NewGuid().ToString("N")[..8];
    private QdrantVectorStore? _qdrant;

    protected override string? SkipReason => string.IsNullOrEmpty(Url)
        ? "FACEMESH_QDRANT_URL is not set: no Qdrant server to test against (set it to a Qdrant gRPC address to run this suite)."
        : null;

    protected override int PropertyRuns => 30;

    protected override IVectorStore CreateStore() =>
        _qdrant = new QdrantVectorStore(new QdrantStoreOptions { Url = Url!, CollectionPrefix = _prefix, HnswEf = 256 });

    public override void Dispose()
    {
        _qdrant?.DropCollectionsAsync().GetAwaiter().GetResult();
        base.Dispose();
    }
}
