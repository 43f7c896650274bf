using System.Globalization;
using System.Text;

namespace SwinFace.Recognition;

/// <summary>One labelled pair of face images from a pairs file.</summary>
/// <param name="ImageA">The first image's path, as written in the file.</param>
/// <param name="ImageB">The second image's path, as written in the file.</param>
/// <param name="Same">Whether the two images show the same person.</param>
/// <param name="Group">The pair's group label, or <see langword="null"/> when the line has none or it is empty.</param>
public sealed record ImagePair(string ImageA, string ImageB, bool Same, string? Group);

/// <summary>Reads the labelled pairs used for calibration from CSV text.</summary>
public static class PairsCsv
{
    /// <summary>Reads lines of <c>imageA,imageB,same[,group]</c>.</summary>
    /// <param name="reader">The CSV text; read to the end, not disposed.</param>
    /// <returns>The pairs, in file order (which sets the 10 folds of <see cref="Calibration"/>).</returns>
    /// <remarks>
    /// <para>
    /// <c>same</c> is <c>1</c> or <c>true</c> for the same person, <c>0</c> or <c>false</c> for different people
    /// (case-insensitive). The first line is a header, and skipped, when its third field is none of these.
    /// </para>
    /// <para>
    /// Fields may be quoted with <c>"</c>, doubling a quote inside; a quoted field cannot span lines. Spaces
    /// around unquoted fields are trimmed. Blank lines are skipped.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">A line is malformed; the message gives its line number and what is wrong.</exception>
    public static IReadOnlyList<ImagePair> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var pairs = new List<ImagePair>();
        int number = 0;
        bool first = true;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            List<string> fields = Split(line, number);
            if (fields.Count is < 3 or > 4)
            {
                throw Error(number, $"expected 3 or 4 fields (imageA,imageB,same[,group]), found {fields.Count}");
            }

            bool? same = ParseSame(fields[2]);
            if (same is null && first)
            {
                first = false;
                continue;
            }

            first = false;
            if (same is null)
            {
                throw Error(number, $"'same' must be 0, 1, true or false; found \"{fields[2]}\"");
            }

            if (fields[0].Length == 0 || fields[1].Length == 0)
            {
                throw Error(number, $"image{(fields[0].Length == 0 ? 'A' : 'B')} is empty");
            }

            pairs.Add(new ImagePair(fields[0], fields[1], same.Value, fields.Count == 4 && fields[3].Length > 0 ? fields[3] : null));
        }

        return pairs;
    }

    private static bool? ParseSame(string field) => field.ToUpperInvariant() switch
    {
        "1" or "TRUE" => true,
        "0" or "FALSE" => false,
        _ => null,
    };

    private static List<string> Split(string line, int number)
    {
        var fields = new List<string>(4);
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            i = SkipBlanks(line, i);
            if (i < line.Length && line[i] == '"')
            {
                for (i++; ; i++)
                {
                    if (i == line.Length)
                    {
                        throw Error(number, "a quoted field is not closed");
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            i++;
                        }
                        else
                        {
                            break;
                        }
                    }

                    field.Append(line[i]);
                }

                i = SkipBlanks(line, i + 1);
                if (i < line.Length && line[i] != ',')
                {
                    throw Error(number, $"unexpected '{line[i]}' after a quoted field");
                }

                fields.Add(field.ToString());
            }
            else
            {
                int comma = line.IndexOf(',', i);
                int end = comma < 0 ? line.Length : comma;
                fields.Add(line[i..end].TrimEnd());
                i = end;
            }

            field.Clear();
            if (i >= line.Length)
            {
                return fields;
            }

            i++;
        }
    }

    private static int SkipBlanks(string line, int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }

        return i;
    }

    private static FormatException Error(int line, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Pairs CSV line {line}: {what}."));
}
