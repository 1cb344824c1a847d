import { factsFromJson, type InterpreterFacts, type RawInterpreterFacts } from '../../src/package/interpreter.js';

// A small interpreter as the facts script reports it: the shapes are real (Requires-Dist lines
// with markers and extras, packages_distributions with several providers).
export function rawInterpreterFacts(overrides: Partial<RawInterpreterFacts> = {}): RawInterpreterFacts {
  return {
    executable: '/venv/bin/python',
    python_version: '3.11.7',
    build_tools: { pip: '26.3', setuptools: '84.2.1', wheel: null },
    mlflow_version: '3.17.2',
    distributions: [
      { name: 'mlflow', version: '3.17.2', requires: ['mlflow-skinny==3.17.2', 'numpy<3', 'pandas<4', 'scipy<2', 'scikit-learn<2'] },
      { name: 'mlflow-skinny', version: '3.17.2', requires: ['cloudpickle<4', 'pyyaml<7', 'packaging<27'] },
      { name: 'scikit-learn', version: '1.9.1', requires: ['numpy>=1.22', 'scipy>=1.8', 'joblib>=1.2', 'threadpoolctl>=3.1', 'pytest>=7; extra == "tests"'] },
      { name: 'scipy', version: '1.17.1', requires: ['numpy<2.6,>=1.25'] },
      { name: 'numpy', version: '2.4.6', requires: [] },
      { name: 'pandas', version: '3.1.1', requires: ['numpy>=1.26', 'python-dateutil>=2.8.2', 'tzdata; sys_platform == "win32"'] },
      { name: 'python-dateutil', version: '2.9.0', requires: ['six>=1.5'] },
      { name: 'six', version: '1.17.0', requires: [] },
      { name: 'joblib', version: '1.5.0', requires: [] },
      { name: 'threadpoolctl', version: '3.6.0', requires: [] },
      { name: 'cloudpickle', version: '3.1.2', requires: [] },
      { name: 'PyYAML', version: '6.0.3', requires: [] },
      { name: 'torch', version: '2.1.0+cu118', requires: [] },
      { name: 'opencv-python', version: '4.8.0.76', requires: ['numpy>=1.21'] },
      { name: 'setuptools', version: '84.2.1', requires: [] },
    ],
    packages_distributions: {
      mlflow: ['mlflow', 'mlflow-skinny'],
      sklearn: ['scikit-learn'],
      scipy: ['scipy'],
      numpy: ['numpy'],
      pandas: ['pandas'],
      dateutil: ['python-dateutil'],
      joblib: ['joblib'],
      yaml: ['PyYAML'],
      torch: ['torch'],
      pkg_resources: ['setuptools'],
      setuptools: ['setuptools'],
      cloudpickle: ['cloudpickle'],
    },
    stdlib_modules: ['os', 'sys', 'json', 're', 'collections', 'builtins', 'copyreg', '_codecs'],
    marker_environment: { sys_platform: 'linux', python_version: '3.11', python_full_version: '3.11.7', platform_machine: 'x86_64', os_name: 'posix', platform_system: 'Linux', implementation_name: 'cpython', platform_python_implementation: 'CPython', platform_release: '6', platform_version: '#1', implementation_version: '3.11.7' },
    site_packages: ['/venv/lib/python3.11/site-packages'],
    ...overrides,
  };
}

export function interpreterFacts(overrides: Partial<RawInterpreterFacts> = {}): InterpreterFacts {
  return factsFromJson(rawInterpreterFacts(overrides));
}
