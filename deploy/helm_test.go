package deploy_test

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	core "github.com/loyalhub/loyalhub/core/config"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// The chart is rendered by Helm's own engine, as `helm template` renders
// it, and every manifest is decoded strictly into its Kubernetes API type,
// so an unknown or misplaced field fails as the API server would refuse
// it. kubectl is not run: `kubectl apply --dry-run=client` and
// `kubectl create --dry-run=client` both fetch the API server's OpenAPI
// document or discovery, and there is no cluster where these tests run.

const (
	chartDir       = "helm/loyalhub"
	scaleOutValues = "helm/scale-out.values.yaml"
)

// manifests is a rendered release, its objects by kind.
type manifests struct {
	deployment *appsv1.Deployment
	configMap  *corev1.ConfigMap
	service    *corev1.Service
	pvcs       []*corev1.PersistentVolumeClaim
	pdbs       []*policyv1.PodDisruptionBudget
	hpas       []*autoscalingv2.HorizontalPodAutoscaler
	notes      string
}

// renderChart renders the chart as `helm template hub deploy/helm/loyalhub
// -n shop -f FILE… --set …` would: the values files merged in order, then
// set.
func renderChart(valuesFiles []string, set map[string]any) (map[string]string, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	vals := map[string]any{}
	for _, f := range valuesFiles {
		v, err := common.ReadValuesFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		vals = loader.MergeMaps(vals, v)
	}
	vals = loader.MergeMaps(vals, set)
	top, err := chartutil.ToRenderValues(ch, vals,
		common.ReleaseOptions{Name: "hub", Namespace: "shop", IsInstall: true}, common.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("preparing the values: %w", err)
	}
	return engine.Render(ch, top)
}

// decodeManifests decodes every manifest of a render strictly into its
// API type.
func decodeManifests(t *testing.T, files map[string]string) manifests {
	t.Helper()
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	var m manifests
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			m.notes = files[name]
			continue
		}
		for _, doc := range strings.Split(files[name], "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			obj, _, err := decoder.Decode([]byte(doc), nil, nil)
			require.NoError(t, err, "%s is a valid Kubernetes object:\n%s", name, doc)
			switch o := obj.(type) {
			case *appsv1.Deployment:
				require.Nil(t, m.deployment, "one Deployment")
				m.deployment = o
			case *corev1.ConfigMap:
				require.Nil(t, m.configMap, "one ConfigMap")
				m.configMap = o
			case *corev1.Service:
				require.Nil(t, m.service, "one Service")
				m.service = o
			case *corev1.PersistentVolumeClaim:
				m.pvcs = append(m.pvcs, o)
			case *policyv1.PodDisruptionBudget:
				m.pdbs = append(m.pdbs, o)
			case *autoscalingv2.HorizontalPodAutoscaler:
				m.hpas = append(m.hpas, o)
			default:
				t.Fatalf("%s renders an unexpected %T", name, obj)
			}
		}
	}
	require.NotNil(t, m.deployment)
	require.NotNil(t, m.configMap)
	require.NotNil(t, m.service)
	return m
}

func render(t *testing.T, valuesFiles []string, set map[string]any) manifests {
	t.Helper()
	files, err := renderChart(valuesFiles, set)
	require.NoError(t, err)
	return decodeManifests(t, files)
}

// hubContainer is the Deployment's one container.
func (m manifests) hubContainer(t *testing.T) corev1.Container {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	require.Len(t, cs, 1)
	return cs[0]
}

// volume finds the pod's volume mounted at mountPath.
func (m manifests) volume(t *testing.T, mountPath string) (corev1.VolumeMount, corev1.Volume) {
	t.Helper()
	c := m.hubContainer(t)
	i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == mountPath })
	require.GreaterOrEqual(t, i, 0, "a volume is mounted at %s: %+v", mountPath, c.VolumeMounts)
	mount := c.VolumeMounts[i]
	vols := m.deployment.Spec.Template.Spec.Volumes
	j := slices.IndexFunc(vols, func(v corev1.Volume) bool { return v.Name == mount.Name })
	require.GreaterOrEqual(t, j, 0, "volume %s is declared", mount.Name)
	return mount, vols[j]
}

// hubConfig loads the ConfigMap's loyalhub.yaml with the hub's own loader,
// in the container's environment: its env entries, and for an envFrom
// Secret a value for each ${VAR} the config refers to.
func (m manifests) hubConfig(t *testing.T) core.Config {
	t.Helper()
	c := m.hubContainer(t)
	require.Equal(t, []string{"serve", "--config", "/etc/loyalhub/loyalhub.yaml"}, c.Args)
	mount, vol := m.volume(t, filepath.Dir(c.Args[2]))
	assert.True(t, mount.ReadOnly)
	require.NotNil(t, vol.ConfigMap, "the config file comes from the ConfigMap")
	assert.Equal(t, m.configMap.Name, vol.ConfigMap.Name)
	file, ok := m.configMap.Data[filepath.Base(c.Args[2])]
	require.True(t, ok, "the ConfigMap holds %s", filepath.Base(c.Args[2]))

	var environ []string
	for _, e := range c.Env {
		require.Nil(t, e.ValueFrom, "env %s", e.Name)
		environ = append(environ, e.Name+"="+e.Value)
	}
	if len(c.EnvFrom) > 0 {
		for _, ref := range regexp.MustCompile(`\$\{(\w+)`).FindAllStringSubmatch(file, -1) {
			environ = append(environ, ref[1]+"=123456789012345") // digits fit every secret and id
		}
	}
	reg := connectors.NewRegistry()
	all.Register(reg)
	s, err := hubconfig.Parse([]byte(file), environ, reg)
	require.NoError(t, err, "the chart's loyalhub.yaml is valid:\n%s", file)
	return s.Config
}

// port is the port of a listen address.
func port(t *testing.T, listen string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(listen)
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return int32(n)
}

// checkPod checks what every release's pod has, whatever the backends.
func checkPod(t *testing.T, m manifests, cfg core.Config) {
	pod := m.deployment.Spec.Template
	c := m.hubContainer(t)

	t.Run("labels select the pods", func(t *testing.T) {
		for k, v := range m.deployment.Spec.Selector.MatchLabels {
			assert.Equal(t, v, pod.Labels[k])
		}
		assert.Equal(t, m.deployment.Spec.Selector.MatchLabels, m.service.Spec.Selector)
	})
	t.Run("the port is server.listen's", func(t *testing.T) {
		require.Len(t, c.Ports, 1)
		assert.Equal(t, "http", c.Ports[0].Name)
		assert.Equal(t, port(t, cfg.Server.Listen), c.Ports[0].ContainerPort)
		require.Len(t, m.service.Spec.Ports, 1)
		assert.Equal(t, "http", m.service.Spec.Ports[0].TargetPort.String())
		assert.Equal(t, strconv.Itoa(int(c.Ports[0].ContainerPort)), pod.Annotations["prometheus.io/port"])
		assert.Equal(t, "/metrics", pod.Annotations["prometheus.io/path"])
	})
	t.Run("probes", func(t *testing.T) {
		for name, p := range map[string]struct {
			probe *corev1.Probe
			path  string
		}{
			"startup":   {c.StartupProbe, "/healthz"},
			"liveness":  {c.LivenessProbe, "/healthz"},
			"readiness": {c.ReadinessProbe, "/readyz"},
		} {
			require.NotNil(t, p.probe, name)
			require.NotNil(t, p.probe.HTTPGet, name)
			assert.Equal(t, p.path, p.probe.HTTPGet.Path, name)
			assert.Equal(t, "http", p.probe.HTTPGet.Port.String(), name)
			assert.Positive(t, p.probe.PeriodSeconds, name)
			assert.Positive(t, p.probe.TimeoutSeconds, name)
			assert.Less(t, p.probe.TimeoutSeconds, p.probe.PeriodSeconds, name)
		}
		s := c.StartupProbe
		start := time.Duration(s.PeriodSeconds*s.FailureThreshold) * time.Second
		assert.GreaterOrEqual(t, start, cfg.Startup.ConnectTimeout, "the startup probe waits out the start's retries")
		grace := m.deployment.Spec.Template.Spec.TerminationGracePeriodSeconds
		require.NotNil(t, grace)
		assert.Greater(t, time.Duration(*grace)*time.Second, cfg.Server.ShutdownTimeout, "the pod is given the time of the drain")
	})
	t.Run("security context", func(t *testing.T) {
		img := readImage(t)
		ps := pod.Spec.SecurityContext
		require.NotNil(t, ps)
		assert.Equal(t, new(true), ps.RunAsNonRoot)
		require.NotNil(t, ps.RunAsUser)
		require.NotNil(t, ps.RunAsGroup)
		assert.Equal(t, img.user, fmt.Sprintf("%d:%d", *ps.RunAsUser, *ps.RunAsGroup), "the image's user")
		assert.Equal(t, ps.RunAsGroup, ps.FSGroup, "the data volume is writable by the user's group")
		require.NotNil(t, ps.SeccompProfile)
		assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, ps.SeccompProfile.Type)
		assert.Equal(t, new(false), pod.Spec.AutomountServiceAccountToken)

		cs := c.SecurityContext
		require.NotNil(t, cs)
		assert.Equal(t, new(true), cs.ReadOnlyRootFilesystem)
		assert.Equal(t, new(false), cs.AllowPrivilegeEscalation)
		require.NotNil(t, cs.Capabilities)
		assert.Equal(t, []corev1.Capability{"ALL"}, cs.Capabilities.Drop)
		assert.Empty(t, cs.Capabilities.Add)
		assert.Nil(t, cs.Privileged)
	})
	t.Run("the data volume is data_dir", func(t *testing.T) {
		mount, _ := m.volume(t, cfg.DataDir)
		assert.False(t, mount.ReadOnly)
		if cfg.Store.Driver == core.DriverSQLite {
			assert.Equal(t, cfg.DataDir, filepath.Dir(cfg.Store.SQLite.Path), "the database is on it")
		}
		tmp, vol := m.volume(t, "/tmp")
		assert.False(t, tmp.ReadOnly)
		assert.NotNil(t, vol.EmptyDir, "SQLite's temporary files have a writable /tmp")
	})
	t.Run("resources", func(t *testing.T) {
		assert.False(t, c.Resources.Requests.Cpu().IsZero())
		assert.False(t, c.Resources.Requests.Memory().IsZero())
		assert.False(t, c.Resources.Limits.Memory().IsZero())
	})
}

func TestHelmChartDefaults(t *testing.T) {
	m := render(t, nil, nil)
	cfg := m.hubConfig(t)
	checkPod(t, m, cfg)

	t.Run("the embedded backends on one pod", func(t *testing.T) {
		assert.Equal(t, core.BackendEmbedded, cfg.Queue.Backend)
		assert.Equal(t, core.DriverSQLite, cfg.Store.Driver)
		assert.Equal(t, new(int32(1)), m.deployment.Spec.Replicas)
		assert.Equal(t, appsv1.RecreateDeploymentStrategyType, m.deployment.Spec.Strategy.Type,
			"the old pod lets go of the files before the new one opens them")
		assert.Empty(t, m.pdbs, "no PodDisruptionBudget for one pod")
		assert.Empty(t, m.hpas, "no autoscaler")
	})
	t.Run("data on a claim", func(t *testing.T) {
		_, vol := m.volume(t, cfg.DataDir)
		require.NotNil(t, vol.PersistentVolumeClaim)
		require.Len(t, m.pvcs, 1)
		pvc := m.pvcs[0]
		assert.Equal(t, pvc.Name, vol.PersistentVolumeClaim.ClaimName)
		assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, pvc.Spec.AccessModes)
		assert.Equal(t, "10Gi", pvc.Spec.Resources.Requests.Storage().String())
		assert.Nil(t, pvc.Spec.StorageClassName, "the cluster's default class")
		assert.Equal(t, "keep", pvc.Annotations["helm.sh/resource-policy"])
	})
	t.Run("no secret needed", func(t *testing.T) {
		assert.Empty(t, m.hubContainer(t).EnvFrom)
		assert.Empty(t, cfg.Server.AdminToken, "the admin API is off without ADMIN_TOKEN")
	})
	t.Run("notes say one replica", func(t *testing.T) {
		assert.Contains(t, m.notes, "Replicas: exactly 1.")
		assert.NotContains(t, m.notes, "WARNING")
	})
}

func TestHelmChartScaleOut(t *testing.T) {
	m := render(t, []string{scaleOutValues}, nil)
	cfg := m.hubConfig(t)
	checkPod(t, m, cfg)

	t.Run("NATS and PostgreSQL", func(t *testing.T) {
		assert.Equal(t, core.BackendNATS, cfg.Queue.Backend)
		assert.Equal(t, core.DriverPostgres, cfg.Store.Driver)
		assert.Equal(t, "123456789012345", cfg.Store.Postgres.DSN, "the DSN comes from the Secret")
		assert.Contains(t, cfg.Tenants, "acme")
		assert.Equal(t, 2*cfg.Queue.Subscribers*10, cfg.Queue.MaxAckPending,
			"max_ack_pending covers the subscribers of the most replicas")
	})
	t.Run("secrets from the existing Secret", func(t *testing.T) {
		c := m.hubContainer(t)
		require.Len(t, c.EnvFrom, 1)
		require.NotNil(t, c.EnvFrom[0].SecretRef)
		assert.Equal(t, "loyalhub-secrets", c.EnvFrom[0].SecretRef.Name)
		assert.NotContains(t, m.configMap.Data["loyalhub.yaml"], "123456789012345")
	})
	t.Run("the autoscaler owns the replicas", func(t *testing.T) {
		assert.Nil(t, m.deployment.Spec.Replicas, "helm upgrade leaves the autoscaler's count")
		require.Len(t, m.hpas, 1)
		hpa := m.hpas[0]
		assert.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind)
		assert.Equal(t, m.deployment.Name, hpa.Spec.ScaleTargetRef.Name)
		assert.Equal(t, new(int32(3)), hpa.Spec.MinReplicas)
		assert.Equal(t, int32(10), hpa.Spec.MaxReplicas)
		require.Len(t, hpa.Spec.Metrics, 1)
		r := hpa.Spec.Metrics[0].Resource
		require.NotNil(t, r)
		assert.Equal(t, corev1.ResourceCPU, r.Name)
		assert.Equal(t, new(int32(70)), r.Target.AverageUtilization)
	})
	t.Run("a disruption budget", func(t *testing.T) {
		require.Len(t, m.pdbs, 1)
		pdb := m.pdbs[0]
		assert.Equal(t, m.deployment.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels)
		assert.Equal(t, "1", pdb.Spec.MaxUnavailable.String())
	})
	t.Run("rolling updates keep every pod serving", func(t *testing.T) {
		s := m.deployment.Spec.Strategy
		assert.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, s.Type)
		require.NotNil(t, s.RollingUpdate)
		assert.Equal(t, "0", s.RollingUpdate.MaxUnavailable.String())
	})
	t.Run("an emptyDir per pod", func(t *testing.T) {
		_, vol := m.volume(t, cfg.DataDir)
		assert.NotNil(t, vol.EmptyDir)
		assert.Empty(t, m.pvcs)
	})
	t.Run("fixed replicas", func(t *testing.T) {
		m := render(t, []string{scaleOutValues}, map[string]any{"autoscaling": map[string]any{"enabled": false}})
		assert.Equal(t, new(int32(3)), m.deployment.Spec.Replicas)
		assert.Empty(t, m.hpas)
		assert.Len(t, m.pdbs, 1)
		assert.Equal(t, 2*16*3, m.hubConfig(t).Queue.MaxAckPending)
		m = render(t, []string{scaleOutValues}, map[string]any{"replicaCount": 1, "autoscaling": map[string]any{"enabled": false}})
		assert.Empty(t, m.pdbs, "no budget for one pod")
	})
}

// chartConfig is the config text of a values file.
func chartConfig(t *testing.T, file string) string {
	t.Helper()
	v, err := common.ReadValuesFile(file)
	require.NoError(t, err)
	s, ok := v["config"].(string)
	require.True(t, ok, "%s: config is the text of loyalhub.yaml", file)
	return s
}

// editConfig returns config with old replaced by new, which must change it.
func editConfig(t *testing.T, config, old, new string) string {
	t.Helper()
	require.Contains(t, config, old)
	return strings.Replace(config, old, new, 1)
}

func TestHelmChartConfigChecksum(t *testing.T) {
	checksum := func(set map[string]any) string {
		m := render(t, nil, set)
		sum := m.deployment.Spec.Template.Annotations["checksum/config"]
		require.Len(t, sum, 64)
		return sum
	}
	base := checksum(nil)
	assert.Equal(t, base, checksum(map[string]any{"replicaCount": 1}), "unchanged config, unchanged pods")
	config := chartConfig(t, filepath.Join(chartDir, "values.yaml"))
	assert.NotEqual(t, base, checksum(map[string]any{"config": editConfig(t, config, "format: json", "format: text")}),
		"a changed config rolls the pods")
}

func TestHelmChartRefuses(t *testing.T) {
	scaleOut := []string{scaleOutValues}
	defaults := chartConfig(t, filepath.Join(chartDir, "values.yaml"))
	scaleOutConfig := chartConfig(t, scaleOutValues)
	for _, tc := range []struct {
		name  string
		files []string
		set   map[string]any
		want  string
	}{
		{
			name: "several replicas on the embedded backends",
			set:  map[string]any{"replicaCount": 2},
			want: `replicaCount 2 needs the scale-out backends, but config.queue.backend is "embedded" and config.store.driver is "sqlite"`,
		},
		{
			name: "autoscaling on the embedded backends",
			set:  map[string]any{"autoscaling": map[string]any{"enabled": true}, "persistence": map[string]any{"enabled": false}},
			want: `autoscaling.enabled needs the scale-out backends`,
		},
		{
			name:  "several replicas on SQLite",
			files: scaleOut,
			set:   map[string]any{"config": editConfig(t, scaleOutConfig, "driver: postgres", "driver: sqlite")},
			want:  `config.store.driver is "sqlite"`,
		},
		{
			name:  "several replicas on the embedded queue",
			files: scaleOut,
			set:   map[string]any{"config": editConfig(t, scaleOutConfig, "backend: nats", "backend: embedded")},
			want:  `config.queue.backend is "embedded"`,
		},
		{
			name:  "one ReadWriteOnce claim for several replicas",
			files: scaleOut,
			set:   map[string]any{"persistence": map[string]any{"enabled": true}},
			want:  "persistence.enabled gives the pods one ReadWriteOnce claim",
		},
		{
			name:  "autoscaler's minimum above its maximum",
			files: scaleOut,
			set:   map[string]any{"autoscaling": map[string]any{"minReplicas": 11}},
			want:  "autoscaling.minReplicas 11 is above autoscaling.maxReplicas 10",
		},
		{
			name:  "autoscaling without a CPU request",
			files: scaleOut,
			set:   map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": nil}}},
			want:  "autoscaling.enabled needs resources.requests.cpu",
		},
		{
			name: "config as a map",
			set:  map[string]any{"config": map[string]any{"tenants": map[string]any{}}},
			want: "config is the text of loyalhub.yaml",
		},
		{
			name: "config that is not YAML",
			set:  map[string]any{"config": "tenants: [\n"},
			want: "config is not a YAML map",
		},
		{
			name: "a relative data_dir",
			set:  map[string]any{"config": editConfig(t, defaults, "data_dir: /var/lib/loyalhub", "data_dir: ./data")},
			want: `config.data_dir "./data" must be an absolute path`,
		},
		{
			name: "listening on loopback",
			set:  map[string]any{"config": editConfig(t, defaults, `listen: ":8080"`, `listen: "127.0.0.1:8080"`)},
			want: `config.server.listen "127.0.0.1:8080" must listen on every address`,
		},
		{
			name: "a backend in env",
			set:  map[string]any{"env": map[string]any{"LOYALHUB_STORE__DRIVER": "postgres"}},
			want: "env.LOYALHUB_STORE__DRIVER: set the key in config instead",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := renderChart(tc.files, tc.set)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestHelmChartValues renders the values a reader of values.yaml is most
// likely to change, and loads each config with the hub's loader.
func TestHelmChartValues(t *testing.T) {
	t.Run("data_dir and port moved", func(t *testing.T) {
		config := chartConfig(t, filepath.Join(chartDir, "values.yaml"))
		config = editConfig(t, config, "data_dir: /var/lib/loyalhub", "data_dir: /data")
		config = editConfig(t, config, `listen: ":8080"`, `listen: ":9090"`)
		m := render(t, nil, map[string]any{"config": config})
		cfg := m.hubConfig(t)
		assert.Equal(t, "/data", cfg.DataDir, "the pod's LOYALHUB_DATA_DIR overrides the image's")
		assert.Equal(t, "/data/loyalhub.db", cfg.Store.SQLite.Path)
		checkPod(t, m, cfg)
	})
	t.Run("no persistence warns", func(t *testing.T) {
		m := render(t, nil, map[string]any{"persistence": map[string]any{"enabled": false}})
		_, vol := m.volume(t, m.hubConfig(t).DataDir)
		assert.NotNil(t, vol.EmptyDir)
		assert.Empty(t, m.pvcs)
		assert.Contains(t, m.notes, "WARNING: persistence.enabled is false")
	})
	t.Run("an existing claim", func(t *testing.T) {
		m := render(t, nil, map[string]any{"persistence": map[string]any{"existingClaim": "hub-data-old"}})
		_, vol := m.volume(t, m.hubConfig(t).DataDir)
		require.NotNil(t, vol.PersistentVolumeClaim)
		assert.Equal(t, "hub-data-old", vol.PersistentVolumeClaim.ClaimName)
		assert.Empty(t, m.pvcs, "none created")
	})
	t.Run("storage class", func(t *testing.T) {
		m := render(t, nil, map[string]any{"persistence": map[string]any{"storageClass": "fast"}})
		require.Len(t, m.pvcs, 1)
		assert.Equal(t, new("fast"), m.pvcs[0].Spec.StorageClassName)
		m = render(t, nil, map[string]any{"persistence": map[string]any{"storageClass": "-"}})
		assert.Equal(t, new(""), m.pvcs[0].Spec.StorageClassName, `"-" asks for no class`)
	})
	t.Run("a secret's variables in the config", func(t *testing.T) {
		m := render(t, nil, map[string]any{
			"existingSecret": "hub-secrets",
			"config":         editConfig(t, chartConfig(t, filepath.Join(chartDir, "values.yaml")), "${ADMIN_TOKEN:-}", "${ADMIN_TOKEN}"),
		})
		assert.Equal(t, "123456789012345", m.hubConfig(t).Server.AdminToken)
	})
}

// TestHelmChartLint runs helm lint's rules on the chart with its default
// and scale-out values.
func TestHelmChartLint(t *testing.T) {
	for name, files := range map[string][]string{"defaults": nil, "scale-out": {scaleOutValues}} {
		t.Run(name, func(t *testing.T) {
			vals := map[string]any{}
			for _, f := range files {
				v, err := common.ReadValuesFile(f)
				require.NoError(t, err)
				vals = loader.MergeMaps(vals, v)
			}
			l := lint.RunAll(chartDir, vals, "shop")
			for _, msg := range l.Messages {
				assert.Less(t, msg.Severity, support.WarningSev, "%s", msg)
			}
		})
	}
}

// The decoder in decodeManifests refuses a field the API does not have.
func TestStrictDecoding(t *testing.T) {
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	_, _, err := decoder.Decode([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {portz: []}\n"), nil, nil)
	require.Error(t, err)
	assert.True(t, runtime.IsStrictDecodingError(err), "%v", err)
}
