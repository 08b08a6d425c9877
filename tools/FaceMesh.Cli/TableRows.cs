using Spectre.Console;
using Spectre.Console.Rendering;

namespace FaceMesh.Cli;

public static class TableRows
{
    /// <summary>Adds a row of plain text (no markup parsing: boxes print as "[x,y w×h]").</summary>
    public static Table AddTextRow(this Table table, params string[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)));
}
