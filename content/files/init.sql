CREATE TABLE IF NOT EXISTS messages (
  id INT AUTO_INCREMENT PRIMARY KEY,
  body VARCHAR(255) NOT NULL
);
INSERT INTO messages (body) VALUES
  ('Hello from the database service!'),
  ('This row was created by init.sql when MySQL started for the first time.');
