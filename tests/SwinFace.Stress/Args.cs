using System.Globalization;

namespace SwinFace.Stress;

/// <summary>"--name value" options and the remaining positional arguments.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _options = [];

    public Args(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                _options[args[i][2..]] = args[++i];
            }
            else
            {
                Positional.Add(args[i]);
            }
        }
    }

    public List<string> Positional { get; } = [];

    public string Get(string name) => _options.TryGetValue(name, out string? v) ? v : throw new ArgumentException($"--{name} is required");

    public string? Find(string name) => _options.GetValueOrDefault(name);

    public int Int(string name, int fallback) => _options.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => _options.TryGetValue(name, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
