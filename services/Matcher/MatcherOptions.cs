using System.ComponentModel.DataAnnotations;
using FaceMesh.Matching.Embedded;
using FaceMesh.Matching.Qdrant;

namespace FaceMesh.Matcher;

/// <summary>Configuration section <c>Matcher</c>; defaults and meanings in appsettings.json.</summary>
public sealed class MatcherOptions
{
    public const string Section = "Matcher";

    /// <summary><c>Embedded</c> (in memory; durable with a data directory) or <c>Qdrant</c> (a Qdrant cluster).</summary>
    [RegularExpression("^(Embedded|Qdrant)$", ErrorMessage = "Matcher:Store must be Embedded or Qdrant.")]
    public string Store { get; set; } = "Embedded";

    public EmbeddedStoreOptions Embedded { get; set; } = new();

    public QdrantStoreOptions Qdrant { get; set; } = new();

    public StoreRetryOptions StoreRetry { get; set; } = new();

    /// <summary>Grouping unlabelled photos by person (<see cref="People.PeopleBook"/>).</summary>
    public People.PeopleOptions People { get; set; } = new();
}
