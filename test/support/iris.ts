/**
 * The sklearn-iris fixture's columns (its signature) and four rows the tests send it; the fixture
 * predicts them as `[0, 1, 2, 2]` (fixtures/inputs/sklearn-iris/expected-response.json).
 */
export const IRIS_COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];
export const IRIS_ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.3, 3.3, 6.0, 2.5],
  [5.9, 3.0, 5.1, 1.8],
];
