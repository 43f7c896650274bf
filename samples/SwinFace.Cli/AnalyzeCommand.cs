using System.CommandLine;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;

namespace SwinFace.Cli;

/// <summary>The <c>analyze</c> command: runs the model on images and prints a table or JSON.</summary>
internal static class AnalyzeCommand
{
    private const int InputError = 2;

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff",
    };

    private static readonly Option<bool> Aligned = new("--aligned")
    {
        Description = "The images are aligned 112x112 face crops (ArcFace template); required for now.",
    };

    private static readonly Option<string> Model = new("--model")
    {
        Description = "Path of a .swinface model file.",
        Required = true,
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON document instead of a table.",
    };

    private static readonly Option<int> Threads = CreateThreadsOption();

    private static readonly Argument<string[]> Images = new("images")
    {
        Description = "Image files, or directories whose image files are all analyzed.",
        Arity = ArgumentArity.OneOrMore,
    };

    public static Command Create()
    {
        var command = new Command("analyze", "Analyze faces: identity embedding, age, gender, expression and 40 CelebA attributes.");
        command.Options.Add(Aligned);
        command.Options.Add(Model);
        command.Options.Add(Json);
        command.Options.Add(Threads);
        command.Arguments.Add(Images);
        command.SetAction(Run);
        return command;
    }

    private static Option<int> CreateThreadsOption()
    {
        var option = new Option<int>("--threads")
        {
            Description = "ONNX Runtime threads per model run; 0 lets ONNX Runtime choose.",
            DefaultValueFactory = _ => 0,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--threads must be 0 or more.");
            }
        });
        return option;
    }

    private static int Run(ParseResult parseResult)
    {
        if (!parseResult.GetValue(Aligned))
        {
            return Fail(InputError, "photo analysis (face detection and alignment) is not available yet; inputs must be aligned face crops passed with --aligned.");
        }

        try
        {
            return Analyze(
                parseResult.GetValue(Model)!,
                parseResult.GetValue(Images)!,
                parseResult.GetValue(Threads),
                parseResult.GetValue(Json));
        }
        catch (Exception e) when (e is SwinFaceModelException or IOException or UnauthorizedAccessException)
        {
            // Missing files (FileNotFoundException is an IOException), a file that is not a model, unreadable files.
            return Fail(InputError, e.Message);
        }
        catch (Exception e)
        {
            // Last resort: still one line, never a stack trace.
            return Fail(1, $"unexpected {e.GetType().Name}: {e.Message}");
        }
    }

    private static int Analyze(string modelPath, string[] inputs, int threads, bool json)
    {
        List<string> files = ResolveImages(inputs);
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(modelPath, new FaceAnalyzerOptions { IntraOpThreads = threads });
        if (analyzer.ModelSource.StartsWith("random-init", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"warning: this model has untrained random weights ({analyzer.ModelSource}); its outputs mean nothing. Convert the authors' checkpoint for real results (see README).");
        }

        var images = new List<Image<Rgb24>>(files.Count);
        IReadOnlyList<FaceAnalysis> faces;
        try
        {
            foreach (string file in files)
            {
                try
                {
                    images.Add(Image.Load<Rgb24>(file));
                }
                catch (UnknownImageFormatException)
                {
                    return Fail(InputError, $"cannot read image {file}: not a supported image format (JPEG, PNG, BMP, WebP, GIF, TIFF, TGA, PBM).");
                }
                catch (ImageFormatException e)
                {
                    return Fail(InputError, $"cannot read image {file}: {e.Message}");
                }
            }

            faces = analyzer.Analyze(images, FaceTasks.All);
        }
        finally
        {
            images.ForEach(image => image.Dispose());
        }

        if (json)
        {
            JsonReport.Write(analyzer, files, faces);
        }
        else
        {
            TableReport.Write(files, faces);
        }

        return 0;
    }

    private static List<string> ResolveImages(string[] inputs)
    {
        var files = new List<string>();
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
            {
                int before = files.Count;
                files.AddRange(Directory.EnumerateFiles(input)
                    .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                    .Order(StringComparer.Ordinal));
                if (files.Count == before)
                {
                    throw new FileNotFoundException($"no image files in directory: {input}");
                }
            }
            else if (File.Exists(input))
            {
                files.Add(input);
            }
            else
            {
                throw new FileNotFoundException($"image file not found: {input}", input);
            }
        }

        return files;
    }

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        return exitCode;
    }
}
