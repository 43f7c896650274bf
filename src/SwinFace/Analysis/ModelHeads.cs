namespace SwinFace.Analysis;

/// <summary>How a head's logits are read.</summary>
internal enum HeadKind
{
    /// <summary>Two logits; softmax; index 1 means "present".</summary>
    Binary,

    /// <summary>One value, used as it is.</summary>
    Regression,

    /// <summary>Several logits; softmax over classes.</summary>
    Classes,
}

/// <summary>One output head of the model.</summary>
/// <param name="Index">Its position in <see cref="ModelHeads.All"/>, the checkpoint's <c>output_fcs</c> order.</param>
/// <param name="Branch">The FAM branch (0 to 10) that computes it.</param>
/// <param name="Name">The head's name in the paper and the authors' code.</param>
/// <param name="Output">The ONNX output name the exporter gives it.</param>
/// <param name="Size">The number of logits.</param>
/// <param name="Kind">How the logits are decoded.</param>
/// <param name="Attribute">The CelebA attribute of a binary head.</param>
internal sealed record HeadSpec(int Index, int Branch, string Name, string Output, int Size, HeadKind Kind, FaceAttribute Attribute);

/// <summary>The 42 heads of SwinFace in the order of the checkpoint's <c>output_fcs</c>, branch by branch.</summary>
internal static class ModelHeads
{
    public const int BranchCount = 11;
    public const int EmbeddingSize = 512;

    public static readonly HeadSpec[] All = Build();

    public static readonly HeadSpec Gender = Find("Gender");
    public static readonly HeadSpec Age = Find("Age");
    public static readonly HeadSpec Expression = Find("Expression");

    /// <summary>Index into <see cref="All"/> of each attribute's head, by <see cref="FaceAttribute"/>.</summary>
    public static readonly int[] AttributeHead = BuildAttributeIndex();

    /// <summary>The branches a set of tasks needs, as a bit mask over branch indices.</summary>
    public static int BranchMask(FaceTasks tasks)
    {
        if ((tasks & FaceTasks.Attributes) != 0)
        {
            return (1 << BranchCount) - 1;
        }

        int mask = 0;
        if ((tasks & FaceTasks.Gender) != 0)
        {
            mask |= 1 << Gender.Branch;
        }

        if ((tasks & FaceTasks.Age) != 0)
        {
            mask |= 1 << Age.Branch;
        }

        if ((tasks & FaceTasks.Expression) != 0)
        {
            mask |= 1 << Expression.Branch;
        }

        return mask;
    }

    private static HeadSpec[] Build()
    {
        // (name, size) per branch, exactly as in shared/SPEC.md; unnamed sizes are 2.
        string[][] branches =
        [
            ["Gender"],
            ["Age:1", "Young"],
            ["Expression:7", "Smiling"],
            ["Attractive", "Blurry", "Chubby", "Heavy Makeup", "Oval Face", "Pale Skin"],
            ["Bald", "Bangs", "Black Hair", "Blond Hair", "Brown Hair", "Gray Hair", "Receding Hairline", "Straight Hair", "Wavy Hair", "Wearing Hat"],
            ["Arched Eyebrows", "Bags Under Eyes", "Bushy Eyebrows", "Eyeglasses", "Narrow Eyes"],
            ["Big Nose", "Pointy Nose"],
            ["High Cheekbones", "Rosy Cheeks", "Wearing Earrings", "Sideburns"],
            ["Five O'Clock Shadow", "Big Lips", "Mouth Slightly Open", "Mustache", "Wearing Lipstick", "No Beard"],
            ["Double Chin", "Goatee"],
            ["Wearing Necklace", "Wearing Necktie"],
        ];

        var heads = new List<HeadSpec>();
        for (int b = 0; b < branches.Length; b++)
        {
            foreach (string entry in branches[b])
            {
                string[] parts = entry.Split(':');
                string name = parts[0];
                int size = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 2;
                HeadKind kind = name switch
                {
                    "Age" => HeadKind.Regression,
                    "Expression" => HeadKind.Classes,
                    _ => HeadKind.Binary,
                };
                FaceAttribute attribute = default;
                if (kind == HeadKind.Binary && !FaceAttributeNames.TryParse(CelebAName(name), out attribute))
                {
                    throw new InvalidOperationException($"Head '{name}' has no CelebA attribute.");
                }

                heads.Add(new HeadSpec(heads.Count, b, name, OutputName(name), size, kind, attribute));
            }
        }

        return [.. heads];
    }

    private static string CelebAName(string head) => head switch
    {
        "Gender" => "Male",
        "Five O'Clock Shadow" => "5_o_Clock_Shadow",
        _ => head.Replace(' ', '_'),
    };

    /// <summary>The exporter's output name: lower case, apostrophes dropped, spaces to underscores.</summary>
    private static string OutputName(string head) =>
        head.ToLowerInvariant().Replace("'", string.Empty, StringComparison.Ordinal).Replace(' ', '_');

    private static HeadSpec Find(string name) => Array.Find(All, h => h.Name == name)!;

    private static int[] BuildAttributeIndex()
    {
        int[] index = new int[FaceAttributeNames.Count];
        Array.Fill(index, -1);
        for (int i = 0; i < All.Length; i++)
        {
            if (All[i].Kind == HeadKind.Binary)
            {
                index[(int)All[i].Attribute] = i;
            }
        }

        if (Array.IndexOf(index, -1) >= 0)
        {
            throw new InvalidOperationException("Some CelebA attribute has no head.");
        }

        return index;
    }
}
