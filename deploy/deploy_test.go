package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// No container engine runs these tests: they read the files as docker and
// compose would, and run what the image runs with the binary.

// instruction is one Dockerfile instruction.
type instruction struct {
	cmd  string // upper case
	args string
}

// finalStage reads the Dockerfile's instructions from its last FROM on,
// joining continued lines.
func finalStage(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open("Dockerfile")
	require.NoError(t, err)
	defer f.Close()
	var (
		out  []instruction
		line string
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if line == "" && (text == "" || strings.HasPrefix(text, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(text, "\\"); ok {
			line += cont + " "
			continue
		}
		line += text
		cmd, args, _ := strings.Cut(line, " ")
		line = ""
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			out = out[:0]
		}
		out = append(out, instruction{cmd: cmd, args: strings.TrimSpace(args)})
	}
	require.NoError(t, sc.Err())
	return out
}

// image is what the final stage sets up.
type image struct {
	user, workdir, volume string
	env                   map[string]string
	entrypoint, cmd       []string
	healthcheck           []string
	healthOptions         string
	copies                []string // COPY arguments
}

func readImage(t *testing.T) image {
	t.Helper()
	img := image{env: map[string]string{}}
	exec := func(args string) []string {
		var v []string
		require.NoError(t, json.Unmarshal([]byte(args), &v), "exec form expected: %s", args)
		return v
	}
	for _, in := range finalStage(t) {
		switch in.cmd {
		case "USER":
			img.user = in.args
		case "WORKDIR":
			img.workdir = in.args
		case "VOLUME":
			img.volume = in.args
		case "ENV":
			k, v, ok := strings.Cut(in.args, "=")
			require.True(t, ok, "ENV key=value expected: %s", in.args)
			img.env[k] = v
		case "ENTRYPOINT":
			img.entrypoint = exec(in.args)
		case "CMD":
			img.cmd = exec(in.args)
		case "HEALTHCHECK":
			opts, rest, ok := strings.Cut(in.args, "CMD ")
			require.True(t, ok, "HEALTHCHECK … CMD [...] expected: %s", in.args)
			img.healthOptions, img.healthcheck = opts, exec(rest)
		case "COPY":
			img.copies = append(img.copies, in.args)
		}
	}
	return img
}

func TestDockerfile(t *testing.T) {
	img := readImage(t)
	dataDir := img.env["LOYALHUB_DATA_DIR"]

	t.Run("runs as a user other than root", func(t *testing.T) {
		require.NotEmpty(t, img.user)
		uid, _, _ := strings.Cut(img.user, ":")
		assert.NotContains(t, []string{"0", "root"}, uid)
	})
	t.Run("the data directory is the user's", func(t *testing.T) {
		require.NotEmpty(t, dataDir, "ENV LOYALHUB_DATA_DIR names the data directory")
		assert.Equal(t, dataDir, img.volume, "a volume keeps it")
		assert.Equal(t, dataDir, img.workdir, "the relative default ./data is not relied on")
		owned := slices.ContainsFunc(img.copies, func(c string) bool {
			f := strings.Fields(c)
			return slices.Contains(f, "--chown="+img.user) && f[len(f)-1] == dataDir
		})
		assert.True(t, owned, "COPY --chown=%s … %s creates it owned by the user: %q", img.user, dataDir, img.copies)
	})
	t.Run("serves without a config file", func(t *testing.T) {
		assert.Equal(t, []string{"serve"}, img.cmd, "the embedded defaults need no config")
		require.Len(t, img.entrypoint, 1)
		installed := slices.ContainsFunc(img.copies, func(c string) bool {
			return strings.HasSuffix(c, " "+img.entrypoint[0])
		})
		assert.True(t, installed, "the entrypoint %s is the binary copied in", img.entrypoint[0])
	})
	t.Run("health check", func(t *testing.T) {
		assert.Equal(t, []string{img.entrypoint[0], "health"}, img.healthcheck)
		m := regexp.MustCompile(`--start-period=(\S+)`).FindStringSubmatch(img.healthOptions)
		require.NotNil(t, m, "a start period covers the store and queue retries")
		d, err := time.ParseDuration(m[1])
		require.NoError(t, err)
		assert.GreaterOrEqual(t, d, 2*time.Minute, "startup.connect_timeout's default")
	})
}

// ignorePatterns reads the .dockerignore of the build context.
func ignorePatterns(t *testing.T, root string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	require.NoError(t, err, "the build context has a .dockerignore")
	var out [][]string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		require.False(t, strings.HasPrefix(line, "!"), "exceptions are not used: %s", line)
		out = append(out, strings.Split(path.Clean(strings.TrimPrefix(line, "/")), "/"))
	}
	return out
}

// matchSegments reports whether pattern matches the start of name, as
// docker matches a .dockerignore line: a match of a directory excludes
// what is under it; ** matches any number of directories.
func matchSegments(pattern, name []string) bool {
	if len(pattern) == 0 {
		return true
	}
	if pattern[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchSegments(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pattern[0], name[0])
	return err == nil && ok && matchSegments(pattern[1:], name[1:])
}

func ignored(patterns [][]string, name string) bool {
	parts := strings.Split(name, "/")
	return slices.ContainsFunc(patterns, func(p []string) bool { return matchSegments(p, parts) })
}

// buildInputs lists the files the Go build reads: go.mod, go.sum, every
// non-test Go file and every file its //go:embed lines name.
func buildInputs(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	embed := regexp.MustCompile(`^//go:embed (.+)$`)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "go.mod" || rel == "go.sum" {
			out = append(out, rel)
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		out = append(out, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := embed.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			for _, g := range strings.Fields(m[1]) {
				files, err := filepath.Glob(filepath.Join(filepath.Dir(p), g))
				if err != nil {
					return err
				}
				require.NotEmpty(t, files, "%s embeds %s", rel, g)
				for _, f := range files {
					r, _ := filepath.Rel(root, f)
					out = append(out, filepath.ToSlash(r))
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestDockerignore(t *testing.T) {
	root := ".." // the build context of deploy/Dockerfile
	patterns := ignorePatterns(t, root)
	inputs := buildInputs(t, root)
	require.Contains(t, inputs, "mappings/whatsapp_cloud.jq", "embedded files are found")
	for _, f := range inputs {
		assert.False(t, ignored(patterns, f), "%s is needed by the build", f)
	}
	for _, f := range []string{".git/HEAD", "data/loyalhub.db", "cmd/loyalhub/data/queue/x", "loyalhub", "x/y.db-wal", "cpu.prof", ".env"} {
		assert.True(t, ignored(patterns, f), "%s stays out of the build context", f)
	}
}

// compose is the part of a compose file the tests read.
type compose struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Restart     string            `yaml:"restart"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Healthcheck *struct {
			Test        []string `yaml:"test"`
			Interval    string   `yaml:"interval"`
			Timeout     string   `yaml:"timeout"`
			Retries     int      `yaml:"retries"`
			StartPeriod string   `yaml:"start_period"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c compose
	require.NoError(t, yaml.Unmarshal(b, &c))
	require.NotEmpty(t, c.Services)
	return c
}

// composeEnv is the hub's environment in the compose file, with the
// variables compose substitutes (${VAR:?…}, ${VAR:-…}) given values.
func composeEnv(env map[string]string) []string {
	ref := regexp.MustCompile(`^\$\{(\w+)(:[?-][^}]*)?\}$`)
	var out []string
	for k, v := range env {
		if m := ref.FindStringSubmatch(v); m != nil {
			v = "123456789012345" // digits fit every secret and id
			if strings.HasPrefix(m[2], ":-") {
				v = strings.TrimPrefix(m[2], ":-")
			}
		}
		out = append(out, k+"="+v)
	}
	return out
}

func TestCompose(t *testing.T) {
	c := readCompose(t)
	img := readImage(t)
	hub, ok := c.Services["loyalhub"]
	require.True(t, ok)

	for name, s := range c.Services {
		t.Run(name, func(t *testing.T) {
			assert.Contains(t, []string{"always", "unless-stopped", "on-failure"}, s.Restart, "a restart policy")
			require.NotNil(t, s.Healthcheck, "a health check")
			require.GreaterOrEqual(t, len(s.Healthcheck.Test), 2)
			assert.Contains(t, []string{"CMD", "CMD-SHELL"}, s.Healthcheck.Test[0])
			for _, d := range []string{s.Healthcheck.Interval, s.Healthcheck.Timeout, s.Healthcheck.StartPeriod} {
				_, err := time.ParseDuration(d)
				assert.NoError(t, err)
			}
			assert.Positive(t, s.Healthcheck.Retries)
			for _, v := range s.Volumes {
				src, _, _ := strings.Cut(v, ":")
				if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
					assert.Contains(t, c.Volumes, src, "named volume declared")
				}
			}
		})
	}

	t.Run("the hub waits for healthy dependencies", func(t *testing.T) {
		for name := range c.Services {
			if name == "loyalhub" {
				continue
			}
			require.Contains(t, hub.DependsOn, name)
			assert.Equal(t, "service_healthy", hub.DependsOn[name].Condition, name)
		}
	})
	t.Run("the hub's health check is the image's", func(t *testing.T) {
		assert.Equal(t, img.healthcheck, hub.Healthcheck.Test[1:])
		require.NotNil(t, hub.Build)
		assert.Equal(t, "deploy/Dockerfile", hub.Build.Dockerfile)
		_, err := os.Stat(filepath.Join(hub.Build.Context, ".dockerignore"))
		assert.NoError(t, err, "the build context has the .dockerignore")
	})
	t.Run("the hub's config and environment", func(t *testing.T) {
		require.Len(t, hub.Command, 3)
		require.Equal(t, []string{"serve", "--config"}, hub.Command[:2])
		var file string
		for _, v := range hub.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			dst, _, _ = strings.Cut(dst, ":")
			if dst == hub.Command[2] {
				file = src
			}
		}
		require.NotEmpty(t, file, "the config file is mounted")
		reg := connectors.NewRegistry()
		all.Register(reg)
		s, err := hubconfig.Load(file, composeEnv(hub.Environment), reg)
		require.NoError(t, err, "the mounted config with the compose environment is valid")
		cfg := s.Config

		assert.Equal(t, img.env["LOYALHUB_DATA_DIR"], cfg.DataDir)
		assert.True(t, slices.Contains(hub.Volumes, "data:"+cfg.DataDir), "the data directory is a volume")
		u, err := url.Parse(cfg.Queue.NATS.URL)
		require.NoError(t, err)
		assert.Contains(t, c.Services, u.Hostname(), "the queue is the nats service")
		u, err = url.Parse(cfg.Store.Postgres.DSN)
		require.NoError(t, err)
		assert.Contains(t, c.Services, u.Hostname(), "the store is the postgres service")
		start, err := time.ParseDuration(hub.Healthcheck.StartPeriod)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, start, cfg.Startup.ConnectTimeout, "the health check waits out the start's retries")
	})
}

// The image's defaults, run with the binary: ENTRYPOINT and CMD under the
// image's environment, its data directory moved into a temporary one. The
// hub starts on the embedded queue and SQLite, and the image's health check
// says so.
func TestImageDefaultsServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	img := readImage(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "loyalhub")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/loyalhub").CombinedOutput()
	require.NoError(t, err, "%s", out)

	dataDir := filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(dataDir, 0o750), "the image creates it")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LOYALHUB_SERVER__LISTEN=" + addr}
	for k, v := range img.env {
		env = append(env, k+"="+strings.ReplaceAll(v, img.volume, dataDir))
	}
	run := func(args []string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Dir, c.Env = dataDir, env
		return c
	}
	serve := run(append(img.entrypoint[1:], img.cmd...))
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	require.NoError(t, err)
	defer logs.Close()
	serve.Stdout, serve.Stderr = logs, logs
	require.NoError(t, serve.Start())
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })

	health := func() error {
		c := run(img.healthcheck[1:])
		out, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := health()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logs.Name())
			t.Fatalf("the image's health check never passed: %v\nserve's log:\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = os.Stat(filepath.Join(dataDir, "loyalhub.db"))
	assert.NoError(t, err, "SQLite in the data directory")

	require.NoError(t, serve.Process.Kill())
	_ = serve.Wait()
	assert.Error(t, health(), "the health check fails once the hub is gone")
}
